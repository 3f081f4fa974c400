import { describe, expect, it } from 'vitest';
import type { KubeClient, KubeObject } from './client.js';
import { RESOURCES } from './resources.js';
import { WatchCache } from './watch-cache.js';

const job = (namespace: string, name: string, owner: string, rv: string): KubeObject => ({
  metadata: { namespace, name, resourceVersion: rv, labels: { owner } },
});

/** A client whose list answers `items` and whose watch stays open until aborted. */
function stubClient(items: KubeObject[]): KubeClient {
  return {
    request: async () => ({ metadata: { resourceVersion: '10' }, items }),
    stream: (_path: string, args: { signal?: AbortSignal }) =>
      new Promise<void>((resolve) => {
        if (args.signal?.aborted) resolve();
        args.signal?.addEventListener('abort', () => resolve());
      }),
  } as unknown as KubeClient;
}

describe('WatchCache', () => {
  it('stops when aborted right after its first list (regression: the watch then never ended)', async () => {
    const cache = new WatchCache<KubeObject>({ client: stubClient([]), type: RESOURCES.jobs });
    const stop = new AbortController();
    const running = cache.run(stop.signal);
    await cache.waitForSync();
    stop.abort();
    await running;
    expect(cache.health.synced).toBe(true);
  });
});

describe('WatchCache indexes', () => {
  it('answers by namespace and by a custom index without scanning, and follows updates', async () => {
    const cache = new WatchCache<KubeObject>({
      client: stubClient([job('a', 'j1', 'x', '1'), job('a', 'j2', 'y', '2'), job('b', 'j3', 'x', '3')]),
      type: RESOURCES.jobs,
    });
    cache.addIndex('owner', (o) => [o.metadata?.labels?.owner ?? '']);
    const stop = new AbortController();
    const running = cache.run(stop.signal);
    await cache.waitForSync();

    expect(
      cache
        .list('a')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['j1', 'j2']);
    expect(
      cache
        .byIndex('owner', 'x')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['j1', 'j3']);
    // An object that changes owner moves between index entries; an older version never wins.
    cache.remember(job('a', 'j1', 'y', '11'));
    cache.remember(job('a', 'j1', 'x', '5'));
    expect(cache.byIndex('owner', 'x').map((o) => o.metadata?.name)).toEqual(['j3']);
    expect(
      cache
        .byIndex('owner', 'y')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['j1', 'j2']);
    expect(cache.list('b').map((o) => o.apiVersion)).toEqual(['batch/v1']);
    stop.abort();
    await running;
  });
});
