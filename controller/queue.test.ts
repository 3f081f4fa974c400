import { describe, expect, it } from 'vitest';
import { Backoff } from '../shared/backoff.js';
import { ThurkubeError } from '../shared/errors.js';
import { gate } from '../test/support/eventually.js';
import type { Outcome } from './queue.js';
import { WorkQueue } from './queue.js';

/** Retries after 1, 2, 4, ... ms: the real policy's shape, fast and without jitter. */
const fastBackoff = () => new Backoff(1, 100, () => 1);

describe('WorkQueue', () => {
  it('deduplicates a key while it waits, and runs one key on one worker at a time', async () => {
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate<void>>>();
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({
      process: async (key) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        started.push(key);
        const g = gate();
        gates.set(`${key}${started.length}`, g);
        await g.promise;
        running -= 1;
        return undefined;
      },
      concurrency: 4,
    });
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.depth).toBe(2);
    q.resume();
    expect([q.depth, q.inFlight]).toEqual([0, 2]);
    // While a runs, adding it (twice) makes it run once more afterwards, never concurrently.
    q.add('a');
    q.add('a');
    expect(q.inFlight).toBe(2);
    gates.get('a1')?.open();
    gates.get('b2')?.open();
    await new Promise<void>((resolve) => {
      const poll = () => (gates.has('a3') ? resolve() : setImmediate(poll));
      poll();
    });
    gates.get('a3')?.open();
    await q.drained();
    expect(started).toEqual(['a', 'b', 'a']);
    expect(maxRunning).toBe(2);
  });

  it('does not process while paused (a standby replica), and starts at once when resumed', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ process: async (k) => void seen.push(k), concurrency: 1 });
    q.add('x');
    expect([q.depth, q.inFlight, seen]).toEqual([1, 0, []]);
    q.resume();
    expect([q.depth, q.inFlight]).toEqual([0, 1]);
    await q.drained();
    expect(seen).toEqual(['x']);
    q.pause();
    q.add('y');
    expect([q.depth, q.inFlight]).toEqual([1, 0]);
  });

  it('retries a failing key with doubling delays, then forgets its failures once it succeeds', async () => {
    const delays: (number | undefined)[] = [];
    let attempts = 0;
    const succeeded = gate();
    const q = new WorkQueue({
      process: async () => {
        attempts += 1;
        if (attempts <= 3) throw new ThurkubeError('Transient', 'API server unreachable');
        succeeded.open();
        return undefined;
      },
      concurrency: 1,
      onError: (_key, _error, retryIn) => delays.push(retryIn),
      backoff: fastBackoff,
    });
    q.resume();
    q.add('flaky');
    await succeeded.promise;
    expect(attempts).toBe(4);
    expect(delays).toEqual([1, 2, 4]);
  });

  it('never retries an error the policy calls final, and says so with no retry delay', async () => {
    const attempts: string[] = [];
    const delays: (number | undefined)[] = [];
    const later = gate();
    const q = new WorkQueue({
      process: async (key) => {
        attempts.push(key);
        if (key === 'later') later.open();
        if (key === 'bad') throw new ThurkubeError('Invalid', 'spec.x: nope');
        return undefined;
      },
      concurrency: 1,
      onError: (_key, _error, retryIn) => delays.push(retryIn),
      retryable: (error) => !(error instanceof ThurkubeError && error.kind === 'Invalid'),
      backoff: fastBackoff,
    });
    q.resume();
    q.add('bad');
    // A retry would come back after 1 ms; a key due after 20 ms shows it did not.
    q.addAfter('later', 20);
    await later.promise;
    expect(attempts).toEqual(['bad', 'later']);
    expect(delays).toEqual([undefined]);
  });

  it('runs a key again after the delay its outcome asks for, once even if asked twice', async () => {
    const runs: number[] = [];
    const second = gate();
    const q = new WorkQueue({
      process: async (): Promise<Outcome> => {
        runs.push(performance.now());
        if (runs.length === 2) second.open();
        return runs.length === 1 ? { requeueAfterMs: 30 } : undefined;
      },
      concurrency: 1,
    });
    q.resume();
    q.add('cron');
    await q.drained();
    q.addAfter('cron', 500); // an earlier scheduled add of the same key wins
    await second.promise;
    expect(runs).toHaveLength(2);
    expect((runs[1] ?? 0) - (runs[0] ?? 0)).toBeGreaterThanOrEqual(29);
    expect((runs[1] ?? 0) - (runs[0] ?? 0)).toBeLessThan(500);
  });

  it('reports its depth and how long a key waited', async () => {
    const depths: number[] = [];
    const waits: number[] = [];
    const q = new WorkQueue({
      process: async () => undefined,
      concurrency: 1,
      observer: { depth: (n) => depths.push(n), waited: (s) => waits.push(s) },
    });
    q.add('a');
    q.add('b');
    q.resume();
    await q.drained();
    expect(depths).toEqual([1, 2, 1, 0]);
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(0);
  });

  it('finishes in-flight work on shutdown and takes no more', async () => {
    let finished = 0;
    const release = gate();
    const q = new WorkQueue({
      process: async () => {
        await release.promise;
        finished += 1;
        return undefined;
      },
      concurrency: 2,
    });
    q.resume();
    q.add('a');
    q.add('b');
    expect(q.inFlight).toBe(2);
    const stopping = q.shutdown();
    q.add('c');
    expect(q.depth).toBe(0);
    release.open();
    await stopping;
    expect([finished, q.inFlight, q.depth]).toEqual([2, 0, 0]);
  });
});
