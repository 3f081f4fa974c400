/**
 * Serves the app over HTTPS with @hono/node-server. The certificate comes from a source and is
 * swapped in place (setSecureContext) when the source changes it: no restart, no refused
 * connection. close() drains: it stops accepting, answers what still arrives on open connections
 * with `Connection: close`, and closes a connection itself only once the drain is over.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { CertificateSource } from '../certs/source.js';
import { ThurkubeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';

/** Longer than any API server keeps an idle connection (Go's default IdleConnTimeout is 90 s). */
export const KEEP_ALIVE_MS = 120_000;

/** How long close() leaves idle keep-alive connections to the client before closing them itself. */
export const DRAIN_MS = 5_000;

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
  /**
   * Stops accepting and drains: requests still arriving on open connections are answered with
   * `Connection: close`; connections idle after `drainMs` are closed; whatever is left after
   * `graceMs` (requests still in flight) is cut.
   */
  close(options?: { drainMs?: number; graceMs?: number }): Promise<void>;
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
  const connections = trackConnections(server);

  return {
    port: (server.address() as AddressInfo).port,
    close({ drainMs = DRAIN_MS, graceMs = 10_000 } = {}) {
      connections.draining = true;
      return new Promise<void>((resolve) => {
        const idle = setTimeout(() => connections.closeIdle(), drainMs);
        const force = setTimeout(() => server.closeAllConnections(), Math.max(graceMs, drainMs));
        // Node's https close() would also close every idle keep-alive connection at once, and a
        // review the API server is sending on one of them that very moment is reset and refused
        // (failurePolicy Fail; seen in a rolling upgrade). The listener's own close stops
        // accepting and keeps the connections; a replica sharing the port takes the new ones.
        NetServer.prototype.close.call(server, () => {
          clearTimeout(idle);
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

interface Connections {
  /** Set by close(): answers carry `Connection: close`, so the client closes after each one. */
  draining: boolean;
  /** Closes the connections with no request in flight. */
  closeIdle(): void;
}

/**
 * The open connections and the requests in flight on each. HTTP/1.1 gives the server no safe
 * moment to close a keep-alive connection (the client may be sending on it), but the client can
 * close safely after an answer that says so: while draining, every answer does.
 */
function trackConnections(server: Server): Connections {
  const inFlight = new Map<Socket, number>();
  const state: Connections = {
    draining: false,
    closeIdle() {
      for (const [socket, n] of inFlight) if (n === 0) socket.destroy();
    },
  };
  server.on('secureConnection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  // Before the app's listener, so the header is set before the app writes its answer.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    if (state.draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      if (inFlight.has(socket)) inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
    });
  });
  return state;
}
