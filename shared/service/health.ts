/**
 * /healthz, /readyz and /metrics, the same for every service: probes and Prometheus see one
 * format. /readyz answers `ok`, or 503 with `not ready: <reason>; <reason>`.
 *
 * The answers are computed once here and served two ways: as routes of a Hono app (the webhook's
 * HTTPS server) and on node:http alone (the controller), which then loads neither hono nor
 * @hono/node-server: about 4 MiB of resident memory it would use for three fixed routes.
 */
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { METRICS_CONTENT_TYPE, type Registry } from '../metrics.js';
import { http } from '../node-http.js';

export interface HealthOptions {
  registry: Registry;
  /** Why the service cannot serve yet, for a person; empty when ready. */
  notReady?: () => string[];
}

interface Answer {
  status: number;
  type: string;
  body: string;
}

const TEXT = 'text/plain; charset=UTF-8';
export const HEALTH_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

/** The answer of one health route. */
function answer(path: (typeof HEALTH_PATHS)[number], options: HealthOptions): Answer {
  if (path === '/metrics')
    return { status: 200, type: METRICS_CONTENT_TYPE, body: options.registry.render() };
  if (path === '/healthz') return { status: 200, type: TEXT, body: 'ok' };
  const reasons = options.notReady?.() ?? [];
  return reasons.length === 0
    ? { status: 200, type: TEXT, body: 'ok' }
    : { status: 503, type: TEXT, body: `not ready: ${reasons.join('; ')}` };
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its variables
export function addHealthRoutes<A extends Hono<any>>(app: A, options: HealthOptions): A {
  for (const path of HEALTH_PATHS)
    app.get(path, (c) => {
      const { status, type, body } = answer(path, options);
      return c.body(body, status as 200, { 'Content-Type': type });
    });
  return app;
}

const isHealthPath = (path: string): path is (typeof HEALTH_PATHS)[number] =>
  (HEALTH_PATHS as readonly string[]).includes(path);

/**
 * The health routes alone, served over plain HTTP (in-cluster probes and scrapes), GET and HEAD;
 * anything else is 404. `reusePort`: SO_REUSEPORT, for replicas sharing one host network
 * (hostNetwork).
 */
export function serveHealth(
  options: HealthOptions & { host: string; port: number; reusePort?: boolean },
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const known = (req.method === 'GET' || req.method === 'HEAD') && isHealthPath(path);
    const { status, type, body } = known
      ? answer(path, options)
      : { status: 404, type: TEXT, body: '404 Not Found' };
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host, reusePort: options.reusePort === true }, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
