/**
 * Admission figures: realistic AgentJob AdmissionReviews over TLS straight at /validate and
 * /mutate (references in the webhook's caches), at a fixed rate and at saturation, against the
 * same server's /noop route as the floor. Latency at a fixed rate is measured from the moment a
 * request was due, not when it was sent, so a stalled server cannot hide its queue.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:https';
import { dirname, join } from 'node:path';
import { freePort } from '../../dev/cluster/ports.js';
import { cpuSeconds, rssMiB, type Service, startService } from '../../dev/cluster/services.js';
import { API_VERSION } from '../../shared/api.js';
import { testPki } from '../fixtures/admission/loopback.js';
import { example } from '../fixtures/load.js';
import { percentile } from './stats.js';

export interface RouteFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests per second the fixed-rate phase achieved (should equal the target). */
  achievedRps: number;
  errors: number;
  saturationRps: number;
  /**
   * CPU the admission process spent per request at saturation, in µs: what the route costs,
   * less disturbed by other work on the machine than the request rate.
   */
  serverCpuUs: number;
}

export interface AdmissionServer {
  service: Service;
  port: number;
  ca: string;
  /** Where the process logs (removed by stop()). */
  logFile: string;
  stop(): Promise<void>;
}

export async function startAdmissionServer(
  kubeconfig: string,
  dryRunChildren: boolean,
): Promise<AdmissionServer> {
  const pki = testPki();
  const port = await freePort();
  const logFile = join(dirname(pki.certFile), 'admission.log');
  const service = await startService(
    [
      'admission',
      '--kubeconfig',
      kubeconfig,
      '--listen',
      `127.0.0.1:${port}`,
      '--tls-cert-file',
      pki.certFile,
      '--tls-key-file',
      pki.keyFile,
      `--dry-run-children=${dryRunChildren}`,
    ],
    {
      readyLine: /admission webhook serving/,
      build: 'compiled',
      logFile,
    },
  );
  const server = {
    service,
    port,
    ca: pki.ca.certPem,
    logFile,
    stop: async () => {
      await service.stop();
      pki.remove();
    },
  };
  for (;;) {
    const res = await send(server, new Agent({ ca: pki.ca.certPem }), 'GET', '/readyz').catch(() => ({
      status: 0,
    }));
    if (res.status === 200) return server;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function send(
  server: AdmissionServer,
  agent: Agent,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        agent,
        headers: body
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The minimal example AgentJob named `name` in `namespace`, with its spec changed by `spec`. */
export const benchAgentJob = (namespace: string, name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind: 'AgentJob',
  metadata: { name, namespace },
  spec: { ...example('AgentJob', 'minimal').spec, ...spec },
});

/** An AgentJob review as the API server sends it, as JSON text. */
export function reviewJson(
  uid: string,
  namespace: string,
  operation: 'CREATE' | 'UPDATE',
  object: { metadata: { name: string } },
  oldObject: unknown = null,
): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'thurkube.thurbeen.eu', version: 'v1alpha1', kind: 'AgentJob' },
      resource: { group: 'thurkube.thurbeen.eu', version: 'v1alpha1', resource: 'agentjobs' },
      requestKind: { group: 'thurkube.thurbeen.eu', version: 'v1alpha1', kind: 'AgentJob' },
      requestResource: { group: 'thurkube.thurbeen.eu', version: 'v1alpha1', resource: 'agentjobs' },
      name: object.metadata.name,
      namespace,
      operation,
      userInfo: { username: 'bench-user', groups: ['system:authenticated'] },
      object,
      oldObject,
      dryRun: false,
      options: {
        apiVersion: 'meta.k8s.io/v1',
        kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions',
      },
    },
  });
}

/** A CREATE review of the minimal AgentJob in `namespace`, its uid a placeholder to fill per request. */
export const reviewTemplate = (namespace: string): string =>
  reviewJson('@UID@', namespace, 'CREATE', benchAgentJob(namespace, 'bench-review'));

/** `rate` requests per second for `seconds`, open loop; latency from when each was due. */
export async function fixedRate(
  server: AdmissionServer,
  agent: Agent,
  path: string,
  template: string,
  rate: number,
  seconds: number,
) {
  const total = rate * seconds;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // A request sent late is timed from when it was due (a stalled client or server cannot hide
    // its queue); one sent early, as the timer's slack of up to a millisecond allows, from when it
    // was sent (timed from its due moment, a fast route's latencies came out negative).
    const from = Math.min(due, performance.now());
    inflight.push(
      send(server, agent, 'POST', path, template.replace('@UID@', randomUUID())).then(
        (res) => {
          if (res.status !== 200) errors++;
          latencies.push(performance.now() - from);
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
    achievedRps: total / elapsed,
    errors,
  };
}

/** As many requests as `connections` keep-alive connections carry in `seconds`. */
export async function saturation(
  server: AdmissionServer,
  path: string,
  template: string,
  connections: number,
  seconds: number,
  agent = new Agent({ ca: server.ca, keepAlive: true, maxSockets: connections }),
): Promise<{ rps: number; serverCpuUs: number; errors: number }> {
  const until = performance.now() + seconds * 1000;
  const cpuBefore = cpuSeconds(server.service.pid);
  let done = 0;
  let errors = 0;
  // Only answered reviews count: a route that fails fast must not look fast.
  const worker = async () => {
    while (performance.now() < until) {
      const res = await send(server, agent, 'POST', path, template.replace('@UID@', randomUUID()));
      if (res.status === 200) done++;
      else errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return {
    rps: done / ((performance.now() - started) / 1000),
    serverCpuUs: ((cpuSeconds(server.service.pid) - cpuBefore) * 1e6) / (done + errors),
    errors,
  };
}

/** Connections kept open for a route's phases, as the API server keeps its own to a webhook. */
const CONNECTIONS = 32;

export async function routeFigures(
  server: AdmissionServer,
  path: string,
  template: string,
  rate: number,
  seconds: number,
): Promise<RouteFigures> {
  const agent = new Agent({ ca: server.ca, keepAlive: true, maxSockets: CONNECTIONS });
  try {
    // Warm up on the same connections: every TLS handshake done, and V8 given time to optimise
    // the hot paths (the first seconds of a fresh process are several times slower).
    await saturation(server, path, template, CONNECTIONS, 5, agent);
    const fixed = await fixedRate(server, agent, path, template, rate, seconds);
    const saturated = await saturation(server, path, template, CONNECTIONS, Math.max(3, seconds / 2), agent);
    return {
      ...fixed,
      errors: fixed.errors + saturated.errors,
      saturationRps: saturated.rps,
      serverCpuUs: saturated.serverCpuUs,
    };
  } finally {
    agent.destroy();
  }
}

export const admissionRss = (server: AdmissionServer) => rssMiB(server.service.pid);
