/**
 * /healthz, /readyz and /metrics, the same for every service: probes and Prometheus see one
 * format. /readyz answers `ok`, or 503 with `not ready: <reason>; <reason>`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { METRICS_CONTENT_TYPE, type Registry } from '../metrics.js';

export interface HealthOptions {
  registry: Registry;
  /** Why the service cannot serve yet, for a person; empty when ready. */
  notReady?: () => string[];
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its variables
export function addHealthRoutes<A extends Hono<any>>(app: A, options: HealthOptions): A {
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) => {
    const reasons = options.notReady?.() ?? [];
    return reasons.length === 0 ? c.text('ok') : c.text(`not ready: ${reasons.join('; ')}`, 503);
  });
  app.get('/metrics', (c) =>
    c.body(options.registry.render(), 200, { 'Content-Type': METRICS_CONTENT_TYPE }),
  );
  return app;
}

/**
 * The health routes alone, served over plain HTTP (in-cluster probes and scrapes). `reusePort`:
 * SO_REUSEPORT, for replicas sharing one host network (hostNetwork).
 */
export function serveHealth(
  options: HealthOptions & { host: string; port: number; reusePort?: boolean },
): Promise<{ port: number; close(): Promise<void> }> {
  const app = addHealthRoutes(new Hono(), options);
  return new Promise((resolve, reject) => {
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host, reusePort: options.reusePort === true }, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
