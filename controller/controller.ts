/**
 * Wires the controller: caches -> handlers -> work queue -> reconcile, gated by leader election,
 * with health and metrics. `startController` returns once the caches are syncing; `stop()`
 * finishes in-flight reconciles, releases the lease and closes everything.
 */

import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { isKind, isRetryable, messageOf } from '../shared/errors.js';
import { type AccessKeyRef, DEFAULT_ACCESS_KEY, loadAccessKey } from '../shared/kube/access-key.js';
import { KubeClient } from '../shared/kube/client.js';
import { loadKubeConfig } from '../shared/kube/config.js';
import type { Logger } from '../shared/log.js';
import { DEFAULT_RUN_HISTORY } from '../shared/schemas/run-status.js';
import { serveHealth } from '../shared/service/health.js';
import { allCaches, type Caches, createCaches } from './caches.js';
import type { ControllerContext } from './context.js';
import { CrdGate } from './crd-gate.js';
import { EventRecorder } from './events.js';
import { wireHandlers } from './handlers.js';
import { LeaderElector } from './leader.js';
import { type ControllerMetrics, controllerMetrics, observeCaches } from './metrics.js';
import { WorkQueue } from './queue.js';
import { reconcile } from './reconcile.js';
import { ReferenceIndex } from './ref-index.js';

export const CONTROLLER_NAME = 'thurkube.thurbeen.eu/controller';

export interface ControllerOptions {
  kubeconfig?: string;
  /** Watch one namespace only; all when unset. */
  namespace?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  concurrency: number;
  /** ClusterAccess support; off, the controller neither watches nor writes cluster RBAC. */
  clusterAccess?: boolean;
  /** How many runs status.runs keeps (default 10). */
  runHistory?: number;
  metricsHost: string;
  metricsPort: number;
  /** SO_REUSEPORT on the metrics port: replicas on one host network (hostNetwork). */
  reusePort?: boolean;
  /** How often outdated CRDs are read again (default 30 s; tests use less). */
  crdCheckIntervalMs?: number;
  /** The Secret holding the key that checks cluster-access authorizations (DEFAULT_ACCESS_KEY). */
  accessKeySecret?: AccessKeyRef;
}

export interface RunningController {
  caches: Caches;
  queue: WorkQueue;
  metrics: ControllerMetrics;
  metricsPort: number;
  isLeader(): boolean;
  ready(): string[];
  stop(): Promise<void>;
}

export async function startController(options: ControllerOptions, log: Logger): Promise<RunningController> {
  const client = new KubeClient(loadKubeConfig(options.kubeconfig));
  const metrics = controllerMetrics();
  client.observer = (verb, _path, status) => metrics.requests.inc({ verb, code: String(status) });
  const identity = options.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  const clusterAccess = options.clusterAccess ?? true;
  const caches = createCaches(client, (message) => log.warn(message), options.namespace, clusterAccess);
  // Without the key no authorization verifies and no ClusterAccess is granted: fail at start-up.
  const accessKey = clusterAccess
    ? await loadAccessKey(client, options.accessKeySecret ?? DEFAULT_ACCESS_KEY)
    : undefined;
  let leading = !options.leaderElect;
  const stop = new AbortController();
  // Every watch and timer listens on this one signal.
  setMaxListeners(0, stop.signal);
  const crds = new CrdGate({
    client,
    log,
    controllerName: CONTROLLER_NAME,
    instance: identity,
    mayWrite: () => leading,
    intervalMs: options.crdCheckIntervalMs,
  });
  // Work starts once the caches are synced and the installed CRDs are current (crd-gate.ts).
  const synced = Promise.all([
    ...allCaches(caches).map((c) => c.waitForSync(stop.signal)),
    crds.waitUntilCurrent(stop.signal),
  ]);
  const elector = options.leaderElect
    ? new LeaderElector({
        client,
        namespace: options.leaseNamespace,
        name: options.leaseName,
        identity,
        log,
        onStartedLeading: () => {
          leading = true;
          metrics.leader.set({}, 1);
          void synced.then(() => leading && queue.resume());
        },
        onStoppedLeading: () => {
          leading = false;
          metrics.leader.set({}, 0);
          queue.pause();
        },
      })
    : undefined;
  // Reconciles write through a client fenced by leadership: one in flight when the lease is lost
  // stops before its next write. Caches and the elector itself use the plain client.
  const writer = elector
    ? client.fenced(() => (elector.holds() ? undefined : 'this replica no longer holds the leader lease'))
    : client;
  const ctx: ControllerContext = {
    client: writer,
    caches,
    events: new EventRecorder(writer, CONTROLLER_NAME, identity, log),
    metrics,
    log,
    clusterAccess,
    accessKey,
    runHistory: options.runHistory ?? DEFAULT_RUN_HISTORY,
    now: () => new Date(),
  };

  const queue = new WorkQueue({
    process: async (key) => {
      const started = performance.now();
      try {
        const outcome = await reconcile(ctx, key);
        metrics.reconciles.inc({ result: outcome?.requeueAfterMs === undefined ? 'success' : 'requeue' });
        return outcome;
      } catch (error) {
        metrics.reconciles.inc({ result: isKind(error, 'Invalid') ? 'invalid' : 'error' });
        throw error;
      } finally {
        metrics.reconcileSeconds.observe({}, (performance.now() - started) / 1000);
      }
    },
    concurrency: options.concurrency,
    onError: (key, error, retryInMs) =>
      log[retryInMs === undefined ? 'info' : 'warn'](
        { agentJob: key, err: messageOf(error), retryInMs },
        retryInMs === undefined
          ? 'reconcile stopped until the AgentJob changes'
          : 'reconcile failed, will retry',
      ),
    observer: {
      depth: (n) => metrics.queueDepth.set({}, n),
      waited: (s) => metrics.queueWait.observe({}, s),
    },
    retryable: (error) => isRetryable(error) && !isKind(error, 'Invalid'),
  });

  const index = new ReferenceIndex();
  wireHandlers(caches, index, (key) => queue.add(key));
  const all = allCaches(caches);
  observeCaches(metrics, all);

  const watching = all.map((cache) => cache.run(stop.signal));
  // A standby reports 0 from the start, so "no replica leads" is a series, not a gap.
  if (elector) metrics.leader.set({}, 0);
  const electing = elector ? elector.run(stop.signal) : Promise.resolve();
  const leadershipKnown = () => elector?.known ?? true;
  if (!elector) {
    metrics.leader.set({}, 1);
    void synced.then(() => queue.resume());
  }

  const ready = () => {
    const problems = all.filter((c) => !c.health.synced).map((c) => `watch cache ${c.name} has not synced`);
    if (!leadershipKnown()) problems.push('leader election has not answered yet');
    problems.push(...crds.problems);
    return problems;
  };
  const health = await serveHealth({
    registry: metrics.registry,
    notReady: ready,
    host: options.metricsHost,
    port: options.metricsPort,
    reusePort: options.reusePort,
  });
  log.info(
    {
      identity,
      leaderElect: options.leaderElect,
      namespace: options.namespace ?? '(all)',
      metricsPort: health.port,
    },
    'controller started',
  );

  return {
    caches,
    queue,
    metrics,
    metricsPort: health.port,
    isLeader: () => leading,
    ready,
    async stop() {
      queue.pause();
      await queue.shutdown();
      stop.abort();
      await electing;
      await Promise.all(watching);
      await health.close();
      log.info('controller stopped');
    },
  };
}
