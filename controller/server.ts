/** /healthz, /readyz and /metrics on plain HTTP (probes and Prometheus scrape it in-cluster). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { METRICS_CONTENT_TYPE, type Registry } from '../shared/metrics.js';

export interface Readiness {
  /** Empty when ready; otherwise what is not ready yet, for a person. */
  problems(): string[];
}

export function createHealthApp(registry: Registry, readiness: Readiness): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) => {
    const problems = readiness.problems();
    return problems.length === 0 ? c.text('ok') : c.text(`not ready:\n${problems.join('\n')}\n`, 503);
  });
  app.get('/metrics', (c) => c.body(registry.render(), 200, { 'Content-Type': METRICS_CONTENT_TYPE }));
  return app;
}

/** `reusePort`: SO_REUSEPORT, for replicas sharing one host network (hostNetwork). */
export function serveHealth(
  app: Hono,
  host: string,
  port: number,
  reusePort = false,
): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    server.once('error', reject);
    server.listen({ port, host, reusePort }, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
