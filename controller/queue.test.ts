import { describe, expect, it } from 'vitest';
import { ThurkubeError } from '../shared/errors.js';
import { WorkQueue } from './queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('deduplicates a key while it waits, and runs one key on one worker at a time', async () => {
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(
      async (key) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        seen.push(key);
        await tick(20);
        running -= 1;
        return undefined;
      },
      4,
      () => {},
    );
    q.add('a');
    q.add('a');
    q.add('b');
    q.resume();
    q.add('a'); // while a runs: runs once more afterwards, never concurrently
    await tick(5);
    q.add('a');
    await q.drained();
    expect(seen.sort()).toEqual(['a', 'a', 'b']);
    expect(maxRunning).toBe(2);
  });

  it('does not process while paused (a standby replica)', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(
      async (k) => void seen.push(k),
      1,
      () => {},
    );
    q.add('x');
    await tick(20);
    expect(seen).toEqual([]);
    q.resume();
    await q.drained();
    expect(seen).toEqual(['x']);
  });

  it('retries a failing key with growing delays, and never retries an error that is not retryable', async () => {
    const attempts: number[] = [];
    const delays: (number | undefined)[] = [];
    const q = new WorkQueue(
      async (key) => {
        attempts.push(Date.now());
        if (key === 'bad') throw new ThurkubeError('Invalid', 'spec.x: nope');
        if (attempts.length < 3) throw new ThurkubeError('Transient', 'API server unreachable');
        return undefined;
      },
      1,
      (_key, _error, retryIn) => delays.push(retryIn),
      undefined,
      (error) => !(error instanceof ThurkubeError && error.kind === 'Invalid'),
    );
    q.resume();
    q.add('flaky');
    await new Promise((r) => setTimeout(r, 1500));
    expect(attempts).toHaveLength(3);
    expect(delays[0]).toBeGreaterThan(0);
    expect(delays[1]).toBeGreaterThanOrEqual(delays[0] ?? 0);
    q.add('bad');
    await q.drained();
    expect(delays.at(-1)).toBeUndefined();
  });

  it('finishes in-flight work on shutdown and takes no more', async () => {
    let finished = 0;
    const q = new WorkQueue(
      async () => {
        await tick(30);
        finished += 1;
        return undefined;
      },
      2,
      () => {},
    );
    q.resume();
    q.add('a');
    q.add('b');
    await tick(5);
    await q.shutdown();
    q.add('c');
    expect(finished).toBe(2);
    await tick(50);
    expect(finished).toBe(2);
  });
});
