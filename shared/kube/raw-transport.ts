/**
 * HTTP/1.1 for the API client's short exchanges, written on TLS sockets directly: a request is one
 * write, an answer is read to its end before it is handed over. Node's http client runs a good
 * deal of JavaScript per exchange (requests, responses and their streams, the agent's events); the
 * controller runs without V8's optimising compilers, so that code runs interpreted: this one costs
 * 0.6 times its CPU a request (README "Performance"). Watches and anything with a signal (long or
 * cancellable) still go through Node's http (`fallback`).
 */
import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { connect, createSecureContext, type TLSSocket } from 'node:tls';
import { ThurkubeError } from '../errors.js';
import type { Connection } from './config.js';
import {
  type HttpRequest,
  IDLE_CONNECTION_MS,
  nodeTransport,
  pathOnly,
  serverParts,
  type Transport,
} from './transport.js';

const MAX_SOCKETS = 64;
const HANG_UP = 'socket hang up';
/** The socket's own timer: idle in the pool, or waiting for an answer past the request's deadline. */
const IDLE = 'no bytes within the time allowed';
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const UNSAFE = /[\r\n\0]/;

const unsafeHeader = (headers: Record<string, string>) => {
  for (const name in headers)
    if (UNSAFE.test(name) || UNSAFE.test(headers[name] ?? '')) return `the header ${JSON.stringify(name)}`;
  return undefined;
};

/** The status line and headers (names in lower case, repeated ones joined as Node joins them). */
function parseHead(head: string): { status: number; headers: IncomingHttpHeaders; keepAlive: boolean } {
  const lines = head.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (!statusLine)
    throw new Error(`not an HTTP/1.x answer: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}, ${value}`;
  }
  // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless told to keep it.
  const connection = String(headers.connection ?? '').toLowerCase();
  const keepAlive = connection.includes('close')
    ? false
    : statusLine[1] === '1' || connection.includes('keep-alive');
  return { status: Number(statusLine[2]), headers, keepAlive };
}

/**
 * One answer being read: its head, then its body by Content-Length or in chunks. The bytes of the
 * body are kept as they arrive and joined once at the end (a list of a few MiB comes in hundreds
 * of reads).
 */
class Answer {
  status = 0;
  headers: IncomingHttpHeaders = {};
  keepAlive = true;
  body: Buffer = EMPTY;
  /** Bytes not yet read: a head not yet complete, or a chunk's size line cut in two. */
  private carry: Buffer = EMPTY;
  private phase: 'head' | 'length' | 'until-close' | 'size' | 'data' | 'data-end' | 'trailer' = 'head';
  /** Bytes still due: of the body (Content-Length), of a chunk, or of the line end after it. */
  private due = 0;
  private readonly parts: Buffer[] = [];

  /** Takes the bytes read; true once the answer is complete. Throws on what is not HTTP/1.1. */
  feed(data: Buffer): boolean {
    let bytes = this.carry.length === 0 ? data : Buffer.concat([this.carry, data]);
    this.carry = EMPTY;
    if (this.phase === 'head') {
      const end = bytes.indexOf(HEAD_END);
      if (end < 0) {
        this.carry = bytes;
        return false;
      }
      this.readHead(bytes.toString('latin1', 0, end));
      bytes = bytes.subarray(end + 4);
    }
    if (this.phase === 'until-close') {
      this.parts.push(bytes);
      return false;
    }
    return this.phase === 'length' ? this.readLength(bytes) : this.readChunks(bytes);
  }

  /** The server closed the connection: true when that completes the answer (one without a length). */
  closed(): boolean {
    return this.phase === 'until-close' && this.finish();
  }

  private readHead(head: string): void {
    const parsed = parseHead(head);
    this.status = parsed.status;
    this.headers = parsed.headers;
    this.keepAlive = parsed.keepAlive;
    const length = this.headers['content-length'];
    if (
      String(this.headers['transfer-encoding'] ?? '')
        .toLowerCase()
        .includes('chunked')
    )
      this.phase = 'size';
    else if (length !== undefined && /^\d+$/.test(length)) {
      this.phase = 'length';
      this.due = Number(length);
    } else if (this.status === 204 || this.status === 304 || this.status < 200) this.phase = 'length';
    else {
      // Neither a length nor chunks (HTTP/1.0, some proxies): the body ends with the connection.
      this.phase = 'until-close';
      this.keepAlive = false;
    }
  }

  private readLength(bytes: Buffer): boolean {
    const take = Math.min(this.due, bytes.length);
    if (take > 0) this.parts.push(take === bytes.length ? bytes : bytes.subarray(0, take));
    this.due -= take;
    return this.due === 0 && this.finish();
  }

  private readChunks(bytes: Buffer): boolean {
    let at = 0;
    while (at < bytes.length) {
      if (this.phase === 'data' || this.phase === 'data-end') {
        at = this.readData(bytes, at);
        continue;
      }
      const end = bytes.indexOf(CRLF, at);
      if (end < 0) {
        this.carry = bytes.subarray(at);
        return false;
      }
      const line = bytes.toString('latin1', at, end);
      at = end + 2;
      if (this.readLine(line)) return this.finish();
    }
    return false;
  }

  /** A chunk's bytes, then the line end after them; returns where it stopped. */
  private readData(bytes: Buffer, at: number): number {
    const take = Math.min(this.due, bytes.length - at);
    if (this.phase === 'data') this.parts.push(bytes.subarray(at, at + take));
    this.due -= take;
    if (this.due === 0) {
      this.phase = this.phase === 'data' ? 'data-end' : 'size';
      if (this.phase === 'data-end') this.due = 2;
    }
    return at + take;
  }

  /** A chunk's size line, or a line of the trailer; true at the empty line that ends the answer. */
  private readLine(line: string): boolean {
    if (this.phase === 'trailer') return line === '';
    // A size in hex, perhaps with extensions after a semicolon.
    const size = Number.parseInt(line, 16);
    if (Number.isNaN(size) || size < 0)
      throw new Error(`a chunk size that is not one: ${JSON.stringify(line.slice(0, 20))}`);
    this.phase = size === 0 ? 'trailer' : 'data';
    this.due = size;
    return false;
  }

  private finish(): true {
    this.body = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    return true;
  }
}

interface Pooled {
  socket: TLSSocket;
  /** The exchange reading from the socket now; none while it waits in the pool. */
  onData?: (data: Buffer) => void;
  onEnd?: (error: Error) => void;
}

export function rawTransport(
  connection: Connection,
  fallback: Transport,
  idleMs = IDLE_CONNECTION_MS,
): Transport {
  const server = serverParts(connection);
  if (server.protocol !== 'https:') return fallback;
  const { hostname: host, prefix } = server;
  const port = Number(server.port ?? 443);
  const secureContext = createSecureContext({
    ca: connection.ca,
    cert: connection.cert,
    key: connection.key,
  });
  const rejectUnauthorized = !connection.insecureSkipTlsVerify;
  const fixed =
    `Host: ${server.host}\r\n` +
    (server.auth ? `Authorization: Basic ${Buffer.from(server.auth).toString('base64')}\r\n` : '');
  const idle: Pooled[] = [];
  let sockets = 0;
  const queue: (() => void)[] = [];

  const open = (): Pooled => {
    sockets += 1;
    // SNI carries names only; certificates for an IP are checked against the IP all the same.
    const socket = connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      secureContext,
      rejectUnauthorized,
    });
    const pooled: Pooled = { socket };
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => pooled.onData?.(data));
    const ended = (error: Error) => {
      const at = idle.indexOf(pooled);
      if (at >= 0) idle.splice(at, 1);
      pooled.onEnd?.(error);
      pooled.onEnd = undefined;
      pooled.onData = undefined;
    };
    socket.on('error', ended);
    socket.on('close', () => {
      sockets -= 1;
      ended(new Error(HANG_UP));
      queue.shift()?.();
    });
    socket.on('timeout', () => socket.destroy(new Error(IDLE)));
    return pooled;
  };

  const release = (pooled: Pooled, keep: boolean) => {
    pooled.onData = undefined;
    pooled.onEnd = undefined;
    if (!keep || pooled.socket.destroyed) {
      pooled.socket.destroy();
      return;
    }
    const next = queue.shift();
    if (next) {
      idle.push(pooled);
      next();
      return;
    }
    pooled.socket.setTimeout(idleMs);
    pooled.socket.unref();
    idle.push(pooled);
  };

  const take = (): Promise<Pooled> => {
    const pooled = idle.pop();
    if (pooled) return Promise.resolve(pooled);
    if (sockets < MAX_SOCKETS) return Promise.resolve(open());
    return new Promise((resolve) => queue.push(() => resolve(take())));
  };

  const exchange = async (request: HttpRequest) => {
    const { method, path, headers, body, timeoutMs } = request;
    // Bytes that would end a line of the head, as Node's client refuses them: a path or a header
    // value (a token file, say) can never add a header or a request of its own.
    const unsafe = UNSAFE.test(method) || UNSAFE.test(path) ? 'its method or path' : unsafeHeader(headers);
    if (unsafe)
      throw new ThurkubeError(
        'Invalid',
        `${method} ${pathOnly(path)}: not sent, ${unsafe} holds a line break or NUL`,
      );
    const pooled = await take();
    const { socket } = pooled;
    socket.ref();
    socket.setTimeout(0);
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer[] }>(
      (resolve, reject) => {
        const answer = new Answer();
        const fail = (error: Error) => {
          pooled.onData = undefined;
          pooled.onEnd = undefined;
          socket.destroy();
          reject(
            error instanceof ThurkubeError
              ? error
              : new ThurkubeError('Transient', `${method} ${pathOnly(path)}: ${error.message}`, {
                  cause: error,
                }),
          );
        };
        const answered = () => {
          release(pooled, answer.keepAlive);
          resolve({ status: answer.status, headers: answer.headers, body: [answer.body] });
        };
        pooled.onEnd = (error) => {
          // An answer without a length ends where the server closes the connection.
          if (error.message === HANG_UP && answer.closed()) answered();
          else if (error.message === IDLE && timeoutMs)
            fail(
              new ThurkubeError('Transient', `${method} ${pathOnly(path)}: no answer within ${timeoutMs} ms`),
            );
          else fail(error);
        };
        pooled.onData = (data) => {
          let done: boolean;
          try {
            done = answer.feed(data);
          } catch (error) {
            fail(error as Error);
            return;
          }
          if (done) answered();
        };
        if (timeoutMs) socket.setTimeout(timeoutMs);
        let head = `${method} ${prefix}${path} HTTP/1.1\r\n${fixed}`;
        for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
        if (body === undefined && method !== 'GET' && method !== 'DELETE') head += 'Content-Length: 0\r\n';
        socket.write(body === undefined ? `${head}\r\n` : `${head}\r\n${body}`);
      },
    );
  };

  return (request) => {
    if (request.signal || /[?&](watch|follow)=/.test(request.path)) return fallback(request);
    return exchange(request);
  };
}

/** The API client's transport: ours for short exchanges, Node's for the rest; `THURKUBE_HTTP_CLIENT=node` for Node's alone. */
export function defaultTransport(connection: Connection): Transport {
  const node = nodeTransport(connection);
  return process.env.THURKUBE_HTTP_CLIENT === 'node' ? node : rawTransport(connection, node);
}
