/**
 * `thurkube admission`: wires the parts together. startAdmission() is what the tests run
 * in-process; runAdmission() puts the service shell around it (shared/service/run.ts): flags,
 * signals, exit code.
 */
import { FileCertificateSource } from '../certs/file-source.js';
import { secretSourceFromFlags } from '../certs/flags.js';
import type { CertificateSource } from '../certs/source.js';
import { DEFAULT_ACCESS_KEY, loadAccessKey } from '../shared/kube/access-key.js';
import { KubeClient } from '../shared/kube/client.js';
import { loadKubeConfig } from '../shared/kube/config.js';
import { createLogger, type LogDestination, type Logger } from '../shared/log.js';
import { runService, type Service } from '../shared/service/run.js';
import { createApp } from './app.js';
import { createCaches, runCaches, unsynced } from './caches.js';
import { ClusterLookups } from './cluster-lookups.js';
import { type AdmissionConfig, parseConfig, USAGE } from './config.js';
import { AdmissionMetrics } from './metrics.js';
import { serveHttps } from './server.js';

export interface Admission {
  port: number;
  logger: Logger;
  /** Stops accepting, finishes reviews in flight, stops the caches and the certificate watch. */
  stop(): Promise<void>;
}

export async function startAdmission(
  config: AdmissionConfig,
  logDestination?: LogDestination,
): Promise<Admission> {
  const logger = createLogger('admission', config.logLevel, logDestination);
  const client = new KubeClient(loadKubeConfig(config.kubeconfig));
  const background = new AbortController();
  const caches = createCaches(client, (message) => logger.warn(message));
  const cachesDone = runCaches(caches, background.signal);
  const certificates: CertificateSource = config.certs
    ? secretSourceFromFlags(config.certs, { client, log: logger })
    : new FileCertificateSource({
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
        onError: (message) => logger.error(message),
      });
  let accessKey: Buffer;
  try {
    accessKey = await loadAccessKey(client, config.accessKeySecret ?? DEFAULT_ACCESS_KEY);
    await certificates.start(background.signal);
  } catch (error) {
    background.abort();
    throw error;
  }
  const metrics = new AdmissionMetrics();
  metrics.observeCertificate(certificates);
  const app = createApp({
    lookups: new ClusterLookups(client, caches),
    settings: {
      missingRefs: config.missingRefs,
      dryRunChildren: config.dryRunChildren,
      accessKey,
      controllerUsers: config.controllerUsers ?? [],
    },
    logger,
    metrics,
    notReady: () => [
      ...unsynced(caches).map((name) => `watch cache ${name} not synced`),
      ...(certificates.healthy() ? [] : ['serving certificate missing or expired']),
    ],
  });
  const server = await serveHttps({
    app,
    certificates,
    host: config.host,
    port: config.port,
    reusePort: config.reusePort,
    logger,
  });
  logger.info(
    { host: config.host, port: server.port, missingRefs: config.missingRefs },
    'admission webhook serving',
  );
  return {
    port: server.port,
    logger,
    async stop() {
      await server.close();
      background.abort();
      await cachesDone;
      logger.info('admission webhook stopped');
    },
  };
}

export const ADMISSION: Service<AdmissionConfig> = {
  name: 'admission',
  usage: USAGE,
  parse: parseConfig,
  start: (config) => startAdmission(config),
  stopping: 'stopping: no new connections, finishing reviews in flight',
  // A bug in one review must not take the webhook (and every apply in the cluster) down.
  survivesUnhandledRejections: true,
};

export const runAdmission = (argv: string[]) => runService(ADMISSION, argv);
