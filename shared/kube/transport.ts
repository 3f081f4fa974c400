/**
 * How KubeClient reaches the API server: one HTTP exchange, answered with the status, headers and
 * the body as it arrives. The real transport is Node's http(s) with the Connection's TLS
 * settings; unit tests give a scripted one (test/fixtures/fake-api.ts) that replays answers,
 * chunks of a watch and errors, so the client's retries and the watch cache can be tested
 * without a server.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { ThurkubeError } from '../errors.js';
import { http, https } from '../node-http.js';
import type { Connection } from './config.js';

export interface HttpRequest {
  method: string;
  /** From the root of the API, with the query string: `/api/v1/namespaces?limit=500`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** The connection silent for this long: the exchange fails with a Transient error. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /**
   * The body chunk by chunk; a watch's body ends when the server closes it or the signal aborts.
   * An array when the transport read it whole before answering.
   */
  body: ResponseBody;
}

export type ResponseBody = AsyncIterable<Buffer | string> | readonly (Buffer | string)[];

export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * How long a kept-alive connection may sit unused before we close it. The API server closes one
 * idle for 90 s (measured on v1.36, with no Keep-Alive header saying so); a request sent on it at
 * that moment fails with "socket hang up" (a benchmark's client hit it once in hours). Closing
 * ours first leaves no such moment.
 */
export const IDLE_CONNECTION_MS = 60_000;

/** Node's http(s), keep-alive, with the Connection's CA, client certificate and TLS checks. */
export function nodeTransport(connection: Connection, idleMs = IDLE_CONNECTION_MS): Transport {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 64,
    // One context for every connection: given ca, cert and key instead, each new connection parses
    // them again (a CPU profile of the controller converging showed it per connection).
    secureContext: createSecureContext({ ca: connection.ca, cert: connection.cert, key: connection.key }),
    rejectUnauthorized: !connection.insecureSkipTlsVerify,
  });
  // The idle timer goes on a socket only once it is free (the agent destroys a free socket when
  // it fires), and comes off when a request takes the socket (below). The agent's own `timeout`
  // option would leave it on sockets in use as well, refreshed on every chunk of a watch, which
  // has no deadline of its own: 7% more CPU a request without a deadline (310 against 289 µs on
  // loopback with the controller's V8 flags).
  agent.on('free', (socket: Socket) => {
    if (!socket.destroyed) socket.setTimeout(idleMs);
  });
  // The server's parts once, not a URL per request: parsing one and turning it into request options
  // cost 39 µs a request, interpreted (the controller's flags), against 2 for a path string.
  const server = serverParts(connection);
  const plain = server.protocol === 'http:';
  const send = plain ? http.request : https.request;
  const target = {
    protocol: server.protocol,
    hostname: server.hostname,
    port: server.port,
    auth: server.auth,
    agent: plain ? undefined : agent,
  };
  const { prefix } = server;
  return ({ method, path, headers, body, signal, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const req = send({ ...target, path: prefix + path, method, headers, signal }, (res) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      if (timeoutMs) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(
            new ThurkubeError('Transient', `${method} ${pathOnly(path)}: no answer within ${timeoutMs} ms`),
          ),
        );
      } else req.setTimeout(0); // a socket taken from the pool drops its idle timer
      req.on('error', (error) =>
        reject(
          error instanceof ThurkubeError
            ? error
            : new ThurkubeError('Transient', `${method} ${pathOnly(path)}: ${error.message}`, {
                cause: error,
              }),
        ),
      );
      req.end(body);
    });
}

/** What both transports take from the server's URL, read once. */
export function serverParts(connection: Connection) {
  const url = new URL(connection.server);
  return {
    protocol: url.protocol,
    /** Without the brackets of an IPv6 address. */
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    /** As the Host header carries it. */
    host: url.host,
    port: url.port || undefined,
    /** Credentials in the URL (`https://user:pw@host`), sent as Basic auth as Node sends a URL's. */
    auth: url.username
      ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
      : undefined,
    /** A server behind a proxy that serves the API under a path (`https://proxy/k8s/clusters/c1`). */
    prefix: url.pathname.replace(/\/+$/, ''),
  };
}

/** A request's path without its query, for messages. */
export const pathOnly = (path: string) => {
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
};
