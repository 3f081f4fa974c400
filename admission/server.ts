/**
 * Serves the app over HTTPS with @hono/node-server. The certificate comes from a source and is
 * swapped in place (setSecureContext) when the source changes it: no restart, no refused
 * connection. close() stops accepting, lets reviews in flight finish, then ends.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { CertificateSource } from '../certs/source.js';
import { ThurkubeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';

/** Longer than any API server keeps an idle connection (Go's default IdleConnTimeout is 90 s). */
export const KEEP_ALIVE_MS = 120_000;

export interface ServeOptions {
  // biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its variables
  app: Hono<any>;
  certificates: CertificateSource;
  host: string;
  port: number;
  /** SO_REUSEPORT: several replicas on one host network share the port (the kernel spreads connections). */
  reusePort?: boolean;
  logger: Logger;
}

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops accepting, waits up to `graceMs` for requests in flight, then closes what is left. */
  close(graceMs?: number): Promise<void>;
}

export async function serveHttps(options: ServeOptions): Promise<RunningServer> {
  const cert = options.certificates.current();
  if (!cert) throw new ThurkubeError('Invalid', 'no serving certificate loaded yet');
  const server = createAdaptorServer({
    fetch: options.app.fetch,
    createServer,
    serverOptions: { cert: cert.certPem, key: cert.keyPem },
  }) as Server;
  // The API server keeps idle webhook connections for up to 90 s (Go's IdleConnTimeout) and sends
  // the next review on one it believes open. Node closes idle connections after 5 s by default, and
  // a review sent while that close is under way is reset, so refused (failurePolicy Fail): found on
  // the real node. The client must be the one that closes, so idle connections outlive its timeout.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host, reusePort: options.reusePort === true });
  });
  options.certificates.onChange((next) => {
    server.setSecureContext({ cert: next.certPem, key: next.keyPem });
    options.logger.info({ notAfter: next.notAfter.toISOString() }, 'serving certificate reloaded');
  });
  server.on('tlsClientError', (error) =>
    options.logger.debug({ error: error.message }, 'TLS handshake failed'),
  );

  return {
    port: (server.address() as AddressInfo).port,
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Keep-alive connections with no request in flight would hold close() open.
        server.closeIdleConnections();
      });
    },
  };
}
