/**
 * A small JSON client for the Kubernetes API on top of a Connection's credentials. We talk REST
 * ourselves rather than through client-node's generated APIs: server-side apply, status
 * subresources, watches with bookmarks and custom objects all need the raw JSON, and the generated
 * serializers drop fields whose JSON names differ from their property names.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { type ErrorKind, ThurkubeError } from '../errors.js';
import type { Connection } from './config.js';
import { type PathOptions, type ResourceType, resourcePath } from './resources.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    managedFields?: unknown[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface RequestArgs {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Return the body as text instead of parsing JSON (e.g. /metrics). */
  text?: boolean;
}

const kindForStatus = (status: number): ErrorKind => {
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 400 || status === 422) return 'Invalid';
  if (status === 401 || status === 403) return 'Forbidden';
  return 'Transient';
};

/** A counter the metrics layer can read: requests by verb and outcome. */
export type RequestObserver = (verb: string, path: string, status: number, seconds: number) => void;

export class KubeClient {
  readonly server: URL;
  private options: RequestOptions = {};
  private optionsAt = 0;
  private readonly agent: Agent;
  observer?: RequestObserver;

  constructor(private readonly connection: Connection) {
    this.server = new URL(connection.server);
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** Credentials are re-read every minute so that rotated service-account tokens are picked up. */
  private requestOptions(): RequestOptions {
    if (Date.now() - this.optionsAt > 60_000) {
      const opts: RequestOptions = {};
      const c = this.connection;
      if (c.ca) opts.ca = c.ca;
      if (c.cert) opts.cert = c.cert;
      if (c.key) opts.key = c.key;
      if (c.insecureSkipTlsVerify) opts.rejectUnauthorized = false;
      const token = c.token?.();
      if (token) opts.headers = { Authorization: `Bearer ${token}` };
      this.options = opts;
      this.optionsAt = Date.now();
    }
    return this.options;
  }

  private async open(method: string, path: string, args: RequestArgs): Promise<IncomingMessage> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(args.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const base = this.requestOptions();
    const payload = args.body === undefined ? undefined : JSON.stringify(args.body);
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string> | undefined),
      Accept: args.text ? 'text/plain, */*' : 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = args.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          ...base,
          method,
          headers,
          agent: url.protocol === 'http:' ? undefined : this.agent,
          signal: args.signal,
        },
        resolve,
      );
      if (args.timeoutMs) {
        req.setTimeout(args.timeoutMs, () =>
          req.destroy(
            new ThurkubeError(
              'Transient',
              `${method} ${url.pathname}: no answer within ${args.timeoutMs} ms`,
            ),
          ),
        );
      }
      req.on('error', (error) =>
        reject(
          error instanceof ThurkubeError
            ? error
            : new ThurkubeError('Transient', `${method} ${url.pathname}: ${error.message}`, { cause: error }),
        ),
      );
      req.end(payload);
    });
  }

  async request<T>(method: string, path: string, args: RequestArgs = {}): Promise<T> {
    const started = performance.now();
    const res = await this.open(method, path, { timeoutMs: 30_000, ...args });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    this.observer?.(method, path, status, (performance.now() - started) / 1000);
    if (status >= 200 && status < 300) return (args.text ? text : text ? JSON.parse(text) : undefined) as T;
    throw statusError(method, path, status, text);
  }

  /** Streams newline-delimited JSON (a watch) until the server ends it or `signal` aborts. */
  async stream(path: string, args: RequestArgs, onLine: (value: unknown) => void): Promise<void> {
    const res = await this.open('GET', path, args);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      throw statusError('GET', path, status, Buffer.concat(chunks).toString('utf8'));
    }
    res.setEncoding('utf8');
    let buffered = '';
    for await (const chunk of res) {
      buffered += chunk as string;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) onLine(JSON.parse(line));
        newline = buffered.indexOf('\n');
      }
    }
  }

  // Convenience verbs over a resource type.

  get<T extends KubeObject>(type: ResourceType, at: PathOptions, args?: RequestArgs): Promise<T> {
    return this.request<T>('GET', resourcePath(type, at), args);
  }

  list<T extends KubeObject>(
    type: ResourceType,
    namespace?: string,
    query?: RequestArgs['query'],
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(type, { namespace }), { query });
  }

  create<T extends KubeObject>(type: ResourceType, body: T, query?: RequestArgs['query']): Promise<T> {
    return this.request<T>('POST', resourcePath(type, { namespace: body.metadata?.namespace }), {
      body,
      query,
    });
  }

  /** Server-side apply: the fields in `body` become owned by `fieldManager`. */
  apply<T extends KubeObject>(
    type: ResourceType,
    body: T,
    options: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean },
  ): Promise<T> {
    const path = resourcePath(type, {
      namespace: body.metadata?.namespace,
      name: body.metadata?.name,
      subresource: options.subresource,
    });
    return this.request<T>('PATCH', path, {
      body,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: options.fieldManager,
        force: options.force ?? true,
        dryRun: options.dryRun ? 'All' : undefined,
      },
    });
  }

  patch<T extends KubeObject>(
    type: ResourceType,
    at: PathOptions,
    body: unknown,
    contentType = 'application/merge-patch+json',
    query?: RequestArgs['query'],
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, at), { body, contentType, query });
  }

  delete(type: ResourceType, at: PathOptions, body?: unknown): Promise<unknown> {
    return this.request('DELETE', resourcePath(type, at), { body });
  }
}

function statusError(method: string, path: string, status: number, text: string): ThurkubeError {
  let message = text.slice(0, 500);
  let reason: string | undefined;
  try {
    const body = JSON.parse(text) as { message?: string; reason?: string };
    message = body.message ?? message;
    reason = body.reason;
  } catch {}
  const kind = status === 410 ? 'Transient' : kindForStatus(status);
  return new ThurkubeError(kind, message || `${method} ${path}: HTTP ${status}`, { status, reason });
}
