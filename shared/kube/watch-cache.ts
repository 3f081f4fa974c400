/**
 * A watch cache (client-go's reflector + store) that does not stall. client-node's informer is
 * known to stop silently or give up on errors (its issues #364, #958, #1496, #1933); this one:
 * - lists in pages, then watches from the list's resourceVersion with bookmarks and a server-side
 *   timeout, and resumes each new watch from the last resourceVersion seen;
 * - relists when its resourceVersion is too old (410 Gone, as an ERROR event in the stream or as
 *   the watch request's HTTP status) and reports what changed meanwhile, deletions included;
 * - restarts after any other error with capped exponential backoff;
 * - aborts a watch that has been silent for longer than the server could keep it open (a stall);
 * - exposes its health (synced, last event time, relists, restarts) for /readyz and metrics.
 */
import { Backoff } from '../backoff.js';
import { messageOf, ThurkubeError } from '../errors.js';
import { sleep } from '../time.js';
import type { KubeClient, KubeList, KubeObject } from './client.js';
import { apiVersionOf, type ResourceType, resourcePath } from './resources.js';

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface CacheEvent<T> {
  type: CacheEventType;
  object: T;
  old?: T;
  /**
   * The change came from the answer to our own write or delete (remember(), forget()), not from
   * the watch: the code that made it holds that answer already. Its watch event follows and is
   * not emitted again.
   */
  own?: boolean;
}

export interface WatchCacheOptions<T> {
  client: KubeClient;
  type: ResourceType;
  /** Watch one namespace only; all namespaces when unset. */
  namespace?: string;
  labelSelector?: string;
  /** E.g. `metadata.name=N`, to watch one object by name (RBAC can then stay on that name). */
  fieldSelector?: string;
  /** Trims objects before they are stored; managedFields are always dropped. */
  transform?: (object: T) => T;
  /** How long the server keeps one watch open. */
  timeoutSeconds?: number;
  /** A watch silent for this long is dropped and resumed; a minute more than timeoutSeconds by default. */
  stallMs?: number;
  /** Delays between restarts after errors; 500 ms doubling up to 30 s, with jitter, by default. */
  backoff?: Backoff;
  pageSize?: number;
  onError?: (message: string) => void;
}

export interface CacheHealth {
  synced: boolean;
  lastEventAt?: number;
  relists: number;
  restarts: number;
  lastError?: string;
}

class GoneError extends Error {}

/** The resourceVersion we watch from is too old: an ERROR event, or the watch request's status. */
const isGone = (error: unknown) =>
  error instanceof GoneError || (error instanceof ThurkubeError && error.status === 410);

const BY_NAMESPACE = 'namespace';

/** The store's key of an object by its namespace (none for cluster-scoped ones) and name. */
const keyAt = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

export const keyOf = (o: KubeObject) => keyAt(o.metadata?.namespace, o.metadata?.name ?? '');

/**
 * Larger means newer; resourceVersions are opaque, but etcd's are integers and we only compare
 * those. An equal one is the same version: not newer.
 */
function newer(a: KubeObject, b: KubeObject | undefined): boolean {
  const x = Number(a.metadata?.resourceVersion);
  const y = Number(b?.metadata?.resourceVersion);
  return !b || !Number.isFinite(x) || !Number.isFinite(y) || x > y;
}

export class WatchCache<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  /** Secondary indexes (client-go's indexers): index name -> index value -> object keys. */
  private readonly indexers = new Map<string, (object: T) => string[]>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private resourceVersion = '';
  /** Watch events (bookmarks included) since the last list. */
  private eventsSinceList = 0;
  private readonly handlers: ((event: CacheEvent<T>) => void)[] = [];
  private readonly syncWaiters: (() => void)[] = [];
  readonly health: CacheHealth = { synced: false, relists: 0, restarts: 0 };
  readonly name: string;

  constructor(private readonly options: WatchCacheOptions<T>) {
    this.name = options.type.plural + (options.labelSelector ? `{${options.labelSelector}}` : '');
    this.addIndex(BY_NAMESPACE, (o) => [o.metadata?.namespace ?? '']);
  }

  on(handler: (event: CacheEvent<T>) => void): this {
    this.handlers.push(handler);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(keyAt(namespace, name));
  }

  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.store.values()] : this.byIndex(BY_NAMESPACE, namespace);
  }

  get size(): number {
    return this.store.size;
  }

  /** The resource this cache lists and watches. */
  get type(): ResourceType {
    return this.options.type;
  }

  /**
   * Keeps an index of the stored objects by `values(object)`, so that a lookup costs the size of
   * its answer, not of the cache (a reconcile asking for one AgentJob's Jobs must not scan all).
   * Add indexes before `run`.
   */
  addIndex(name: string, values: (object: T) => string[]): void {
    this.indexers.set(name, values);
    this.indexes.set(name, new Map());
  }

  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const object = this.store.get(key);
      if (object) out.push(object);
    }
    return out;
  }

  private put(key: string, object: T): void {
    this.unindex(key);
    this.store.set(key, object);
    for (const [name, values] of this.indexers) {
      const index = this.indexes.get(name);
      for (const value of values(object)) {
        let keys = index?.get(value);
        if (!keys) {
          keys = new Set();
          index?.set(value, keys);
        }
        keys.add(key);
      }
    }
  }

  private drop(key: string): void {
    this.unindex(key);
    this.store.delete(key);
  }

  private unindex(key: string): void {
    const old = this.store.get(key);
    if (!old) return;
    for (const [name, values] of this.indexers) {
      const index = this.indexes.get(name);
      for (const value of values(old)) {
        const keys = index?.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index?.delete(value);
      }
    }
  }

  /**
   * Records an object we just wrote (read-your-writes), unless the cache already holds this or a
   * newer version, and tells the handlers, marked `own`: the answer may carry others' changes too
   * (a spec edited just before our status write), whose own watch events are older and so never
   * emitted. The watch event of this very version then changes nothing and is not emitted.
   */
  remember(object: T): void {
    const key = keyOf(object);
    const current = this.store.get(key);
    if (!newer(object, current)) return;
    const trimmed = this.trim(object);
    this.put(key, trimmed);
    this.emit({ type: current ? 'MODIFIED' : 'ADDED', object: trimmed, old: current, own: true });
  }

  /**
   * Records that our own DELETE removed an object: dropped at once, so the code that deleted it
   * reads the world without it, and tells the handlers, marked `own`. The object's DELETED watch
   * event then finds nothing to drop and is not emitted. Only the object with this uid: one
   * recreated under the same name meanwhile stays.
   */
  forget(namespace: string | undefined, name: string, uid: string): void {
    const key = keyAt(namespace, name);
    const current = this.store.get(key);
    if (current?.metadata?.uid !== uid) return;
    this.drop(key);
    this.emit({ type: 'DELETED', object: current, own: true });
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.health.synced) return Promise.resolve();
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Runs until `signal` aborts. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = this.options.backoff ?? new Backoff(500, 30_000);
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
          if (signal.aborted) break;
        }
        await this.watchOnce(signal);
        backoff.reset();
      } catch (error) {
        if (signal.aborted) break;
        // Only a watch can be too old; a list that fails is retried like any other error.
        if (!needList && isGone(error)) {
          needList = true;
          // Too old already, right after a fresh list: wait before listing everything again, so a
          // confused server is not flooded with lists.
          if (this.eventsSinceList === 0) await sleep(backoff.next(), signal);
          continue;
        }
        this.health.restarts += 1;
        this.health.lastError = messageOf(error);
        this.options.onError?.(`watch of ${this.name} failed, retrying: ${this.health.lastError}`);
        await sleep(backoff.next(), signal);
      }
    }
  }

  private trim(object: T): T {
    if (object.metadata?.managedFields) object.metadata.managedFields = undefined;
    return this.options.transform ? this.options.transform(object) : object;
  }

  private emit(event: CacheEvent<T>): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (error) {
        this.options.onError?.(`handler for ${this.name} threw: ${messageOf(error)}`);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { client, type, namespace, labelSelector, fieldSelector, pageSize = 500 } = this.options;
    const fresh = new Map<string, T>();
    let next: string | undefined;
    let version = '';
    do {
      const page = await client.request<KubeList<T>>('GET', resourcePath(type, { namespace }), {
        query: { labelSelector, fieldSelector, limit: pageSize, continue: next },
        signal,
      });
      for (const item of page.items) {
        // Items of a list carry no apiVersion/kind; watch events and apply responses do.
        item.apiVersion ??= apiVersionOf(type);
        item.kind ??= type.kind;
        fresh.set(keyOf(item), this.trim(item));
      }
      next = page.metadata.continue || undefined;
      version = page.metadata.resourceVersion ?? version;
    } while (next);

    const previous = new Map(this.store);
    this.store.clear();
    for (const index of this.indexes.values()) index.clear();
    for (const [key, object] of fresh) this.put(key, object);
    this.resourceVersion = version;
    this.eventsSinceList = 0;
    if (this.health.synced) this.health.relists += 1;
    for (const [key, object] of fresh) {
      const old = previous.get(key);
      if (!old) this.emit({ type: 'ADDED', object });
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion)
        this.emit({ type: 'MODIFIED', object, old });
    }
    for (const [key, old] of previous) if (!fresh.has(key)) this.emit({ type: 'DELETED', object: old });
    this.health.lastEventAt = Date.now();
    if (!this.health.synced) {
      this.health.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private async watchOnce(outer: AbortSignal): Promise<void> {
    const { client, type, namespace, labelSelector, fieldSelector, timeoutSeconds = 300 } = this.options;
    const stallMs = this.options.stallMs ?? (timeoutSeconds + 60) * 1000;
    const controller = new AbortController();
    const abort = () => controller.abort();
    outer.addEventListener('abort', abort, { once: true });
    // An abort that came before the listener (e.g. right after the first list) still counts.
    if (outer.aborted) abort();
    // A watch silent for longer than the server would keep it open is stalled: drop it and resume.
    let stall = setTimeout(abort, stallMs);
    try {
      await client.stream(
        resourcePath(type, { namespace }),
        {
          query: {
            watch: 1,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector,
            fieldSelector,
          },
          signal: controller.signal,
        },
        (line) => {
          clearTimeout(stall);
          stall = setTimeout(abort, stallMs);
          this.onWatchEvent(line as { type: string; object: T });
        },
      );
    } catch (error) {
      if (controller.signal.aborted && !outer.aborted) {
        throw new ThurkubeError('Transient', `watch of ${this.name} was silent for ${stallMs / 1000}s`);
      }
      throw error;
    } finally {
      clearTimeout(stall);
      outer.removeEventListener('abort', abort);
    }
  }

  private onWatchEvent(event: { type: string; object: T }): void {
    this.health.lastEventAt = Date.now();
    if (event.type !== 'ERROR') this.eventsSinceList += 1;
    const object = event.object;
    if (event.type === 'ERROR') {
      const status = object as unknown as { code?: number; message?: string };
      if (status.code === 410) throw new GoneError(status.message ?? 'resourceVersion too old');
      throw new ThurkubeError('Transient', `watch of ${this.name}: ${status.message ?? 'error event'}`);
    }
    const version = object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type === 'BOOKMARK') return;
    const key = keyOf(object);
    const old = this.store.get(key);
    if (event.type === 'DELETED') {
      // Dropped already (forget(): our own delete), or the name now holds a newer object: not news.
      if (!old || old.metadata?.uid !== object.metadata?.uid) return;
      this.drop(key);
      this.emit({ type: 'DELETED', object: this.trim(object) });
      return;
    }
    // Our own write may already be here (remember()): its echo, or anything older, is not news.
    if (old && !newer(object, old)) return;
    const trimmed = this.trim(object);
    this.put(key, trimmed);
    this.emit({ type: old ? 'MODIFIED' : 'ADDED', object: trimmed, old });
  }
}
