/**
 * A work queue of keys, as client-go's: a key waits at most once (deduplicated while pending), is
 * processed by one worker at a time (a key added while it is processed runs again afterwards), with
 * bounded concurrency, per-key exponential backoff for failures, and delayed adds.
 */
import { Backoff } from '../shared/backoff.js';

export type Outcome = { requeueAfterMs?: number } | undefined;
export type Processor = (key: string) => Promise<Outcome>;

export interface QueueObserver {
  depth(n: number): void;
  waited(seconds: number): void;
}

export interface WorkQueueOptions {
  process: Processor;
  /** Keys processed at once. */
  concurrency: number;
  /** Told of every failure: `retryInMs` when the key is retried, undefined when it is not. */
  onError?: (key: string, error: unknown, retryInMs: number | undefined) => void;
  observer?: QueueObserver;
  /** Whether a failure is worth retrying; all are unless told otherwise. */
  retryable?: (error: unknown) => boolean;
  /** The delays of one key's retries; 200 ms doubling up to a minute, with jitter, unless set. */
  backoff?: () => Backoff;
}

export class WorkQueue {
  private readonly pending: string[] = [];
  private readonly pendingSince = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** Keys added while being processed: they run again when the worker is done. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly backoffs = new Map<string, Backoff>();
  private active = 0;
  private stopped = false;
  private paused = true;
  private idleWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly observer?: QueueObserver;

  constructor(private readonly options: WorkQueueOptions) {
    this.observer = options.observer;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pendingSince.has(key)) return;
    this.pendingSince.set(key, performance.now());
    this.pending.push(key);
    this.observer?.depth(this.pending.length);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier scheduled add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    if (this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Workers start processing (e.g. when this replica becomes the leader). */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Workers stop taking new keys; keys stay queued. */
  pause(): void {
    this.paused = true;
  }

  get depth(): number {
    return this.pending.length;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Stops taking keys and resolves when in-flight work has finished. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves when nothing is pending or in flight (tests and benchmarks). */
  drained(): Promise<void> {
    if (this.pending.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private pump(): void {
    const { concurrency } = this.options;
    while (!this.paused && !this.stopped && this.active < concurrency && this.pending.length > 0) {
      const key = this.pending.shift() as string;
      const since = this.pendingSince.get(key) ?? performance.now();
      this.pendingSince.delete(key);
      this.observer?.depth(this.pending.length);
      this.observer?.waited((performance.now() - since) / 1000);
      this.active += 1;
      this.processing.add(key);
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    try {
      const outcome = await this.options.process(key);
      this.backoffs.delete(key);
      if (outcome?.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
    } catch (error) {
      const { retryable = () => true, onError } = this.options;
      if (retryable(error)) {
        let backoff = this.backoffs.get(key);
        if (!backoff) {
          backoff = this.options.backoff?.() ?? new Backoff(200, 60_000);
          this.backoffs.set(key, backoff);
        }
        const delay = backoff.next();
        onError?.(key, error, delay);
        this.addAfter(key, delay);
      } else {
        this.backoffs.delete(key);
        onError?.(key, error, undefined);
      }
    } finally {
      this.active -= 1;
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      if (this.active === 0 && this.stopped) for (const resolve of this.idleWaiters.splice(0)) resolve();
      this.pump();
      if (this.active === 0 && this.pending.length === 0)
        for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }
}
