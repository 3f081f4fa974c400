import { afterEach, describe, expect, it } from 'vitest';
import { type Chunk, errorEvent, FakeApi, statusAnswer } from '../../test/fixtures/fake-api.js';
import { soon } from '../../test/support/eventually.js';
import { Backoff } from '../backoff.js';
import type { KubeObject } from './client.js';
import { RESOURCES } from './resources.js';
import { type CacheEvent, WatchCache, type WatchCacheOptions } from './watch-cache.js';

const PATH = '/apis/batch/v1/jobs';

const job = (name: string, rv: string, owner = 'x', namespace = 'a'): KubeObject => ({
  metadata: { namespace, name, resourceVersion: rv, labels: { owner } },
});
const list = (rv: string, items: KubeObject[], next?: string) => ({
  body: { metadata: { resourceVersion: rv, continue: next }, items },
});
const watch = (...chunks: Chunk[]) => ({ chunks });
const event = (type: string, object: KubeObject) => ({ type, object });
const bookmark = (rv: string) => ({ type: 'BOOKMARK', object: { metadata: { resourceVersion: rv } } });

/** Runs a cache against a script; `stop()` aborts it and checks the script was followed. */
function start(api: FakeApi, options: Partial<WatchCacheOptions<KubeObject>> = {}) {
  const errors: string[] = [];
  const cache = new WatchCache<KubeObject>({
    client: api.client,
    type: RESOURCES.jobs,
    onError: (message) => errors.push(message),
    backoff: new Backoff(1, 8, () => 1),
    ...options,
  });
  const events: string[] = [];
  cache.on((e: CacheEvent<KubeObject>) =>
    events.push(`${e.type} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}`),
  );
  const abort = new AbortController();
  const running = cache.run(abort.signal);
  running$.push(async () => {
    abort.abort();
    await running;
  });
  return {
    cache,
    events,
    errors,
    async stop() {
      abort.abort();
      await running;
      api.verify();
    },
  };
}
const running$: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running$.splice(0)) await stop();
});

const watchFrom = (rv: string) => ({
  query: { watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true' },
});

describe('WatchCache against a scripted API', () => {
  it('lists in pages, then watches from the list resourceVersion and applies each event', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, {
        query: { limit: '2' },
        answer: list('9', [job('j1', '1'), job('j2', '2')], 'page2'),
      })
      .expect('GET', PATH, { query: { continue: 'page2' }, answer: list('10', [job('j3', '3')]) })
      .expect('GET', PATH, {
        ...watchFrom('10'),
        answer: watch(
          event('MODIFIED', job('j1', '11')),
          event('DELETED', job('j2', '12')),
          event('ADDED', job('j4', '13')),
          { hold: true },
        ),
      });
    const { cache, events, stop } = start(api, { pageSize: 2 });
    await api.done();
    await soon('six events', () => events.length === 6);
    expect(events).toEqual([
      'ADDED j1@1',
      'ADDED j2@2',
      'ADDED j3@3',
      'MODIFIED j1@11',
      'DELETED j2@12',
      'ADDED j4@13',
    ]);
    expect(
      cache
        .list('a')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['j1', 'j3', 'j4']);
    expect(cache.health).toMatchObject({ synced: true, relists: 0, restarts: 0 });
    await stop();
  });

  it('relists after a 410 ERROR event in the stream, and emits only what changed meanwhile', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', [job('keep', '1'), job('gone', '2'), job('edited', '3')]) })
      .expect('GET', PATH, {
        ...watchFrom('10'),
        answer: watch(errorEvent(410, 'Expired', 'too old resource version: 10 (250)')),
      })
      .expect('GET', PATH, {
        query: { limit: '500' },
        answer: list('300', [job('keep', '1'), job('edited', '260'), job('new', '270')]),
      })
      .expect('GET', PATH, { ...watchFrom('300'), answer: watch({ hold: true }) });
    const { cache, events, stop } = start(api);
    await api.done();
    expect(events).toEqual([
      'ADDED keep@1',
      'ADDED gone@2',
      'ADDED edited@3',
      // The diff of the relist: no event for the unchanged object, a deletion nobody watched.
      'MODIFIED edited@260',
      'ADDED new@270',
      'DELETED gone@2',
    ]);
    expect(cache.health).toMatchObject({ relists: 1, restarts: 0 });
    await stop();
  });

  it('relists after a watch answered with HTTP 410 (regression: it watched again from the same resourceVersion)', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', [job('j1', '1')]) })
      .expect('GET', PATH, {
        ...watchFrom('10'),
        answer: statusAnswer(410, 'Gone', 'too old resource version'),
      })
      .expect('GET', PATH, { query: { limit: '500' }, answer: list('400', [job('j1', '390')]) })
      .expect('GET', PATH, { ...watchFrom('400'), answer: watch({ hold: true }) });
    const { cache, events, errors, stop } = start(api);
    await api.done();
    expect(events).toEqual(['ADDED j1@1', 'MODIFIED j1@390']);
    expect(cache.health).toMatchObject({ relists: 1, restarts: 0 });
    expect(errors).toEqual([]);
    await stop();
  });

  it('waits a backoff before listing again when a watch is too old right after a fresh list', async () => {
    const delays: number[] = [];
    const backoff = new Backoff(1, 4, () => 1);
    const next = backoff.next.bind(backoff);
    backoff.next = () => {
      delays.push(next());
      return delays.at(-1) ?? 0;
    };
    const gone = errorEvent(410, 'Expired', 'too old resource version');
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', []) })
      // A watch that saw events, then got too old: relisted at once.
      .expect('GET', PATH, { ...watchFrom('10'), answer: watch(bookmark('11'), gone) })
      .expect('GET', PATH, { query: { limit: '500' }, answer: list('20', []) })
      // Too old again with nothing in between: a backoff first.
      .expect('GET', PATH, { ...watchFrom('20'), answer: watch(gone) })
      .expect('GET', PATH, { query: { limit: '500' }, answer: list('30', []) })
      .expect('GET', PATH, { ...watchFrom('30'), answer: watch({ hold: true }) });
    const { cache, stop } = start(api, { backoff });
    await api.done();
    expect(delays).toEqual([1]);
    expect(cache.health).toMatchObject({ relists: 2, restarts: 0 });
    await stop();
  });

  it('hands the old object along with a MODIFIED event, and never goes back to an older version', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', [job('j1', '5', 'before')]) })
      .expect('GET', PATH, {
        ...watchFrom('10'),
        answer: watch(
          event('MODIFIED', job('j1', '11', 'after')),
          event('MODIFIED', job('j1', '7', 'stale')),
          event('ADDED', job('marker', '12')),
          { hold: true },
        ),
      });
    const seen: CacheEvent<KubeObject>[] = [];
    const { cache, stop } = start(api);
    cache.on((e) => seen.push(e));
    await api.done();
    // The marker comes after the stale event: once it is here, the stale one was read and dropped.
    await soon('the marker', () => seen.some((e) => e.object.metadata?.name === 'marker'));
    expect(
      seen.map((e) => [e.type, e.old?.metadata?.labels?.owner, e.object.metadata?.labels?.owner]),
    ).toEqual([
      ['ADDED', undefined, 'before'],
      ['MODIFIED', 'before', 'after'],
      ['ADDED', undefined, 'x'],
    ]);
    expect(cache.get('a', 'j1')?.metadata?.labels?.owner).toBe('after');
    await stop();
  });

  it('forgets an object our own delete removed at once, and its DELETED event tells nobody again', async () => {
    const withUid = (name: string, rv: string, uid: string) => ({
      ...job(name, rv),
      metadata: { ...job(name, rv).metadata, uid },
    });
    let deleted = () => {};
    const answered = new Promise<void>((resolve) => {
      deleted = resolve;
    });
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', [withUid('old', '1', 'u1'), withUid('kept', '2', 'u2')]) })
      .expect('GET', PATH, {
        ...watchFrom('10'),
        answer: watch(
          { until: answered },
          event('DELETED', withUid('old', '11', 'u1')),
          // A DELETED event of an earlier object by a name that now holds a newer one drops nothing.
          event('ADDED', withUid('again', '12', 'u4')),
          event('DELETED', withUid('again', '13', 'u3')),
          event('ADDED', job('marker', '14')),
          { hold: true },
        ),
      });
    const seen: CacheEvent<KubeObject>[] = [];
    const { cache, stop } = start(api);
    cache.on((e) => seen.push(e));
    await cache.waitForSync();
    // Another uid than the one we deleted: not ours to forget.
    cache.forget('a', 'kept', 'u9');
    cache.forget('a', 'old', 'u1');
    expect(cache.get('a', 'old')).toBeUndefined();
    expect(cache.get('a', 'kept')?.metadata?.uid).toBe('u2');
    deleted();
    await soon('the marker', () => seen.some((e) => e.object.metadata?.name === 'marker'));
    expect(seen.map((e) => `${e.type} ${e.object.metadata?.name}${e.own ? ' own' : ''}`)).toEqual([
      'ADDED old',
      'ADDED kept',
      'DELETED old own',
      'ADDED again',
      'ADDED marker',
    ]);
    expect(cache.get('a', 'again')?.metadata?.uid).toBe('u4');
    await stop();
  });

  it('resumes from the last bookmark, which emits nothing', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', []) })
      // The server ends a watch at its timeout; the next one resumes where the bookmark said.
      .expect('GET', PATH, { ...watchFrom('10'), answer: watch(bookmark('15'), bookmark('20')) })
      .expect('GET', PATH, { ...watchFrom('20'), answer: watch({ hold: true }) });
    const { cache, events, stop } = start(api);
    await api.done();
    expect(events).toEqual([]);
    expect(cache.health).toMatchObject({ relists: 0, restarts: 0 });
    await stop();
  });

  it('drops a stalled watch and resumes it from where it was, without a relist', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', []) })
      .expect('GET', PATH, {
        ...watchFrom('10'),
        answer: watch(event('ADDED', job('j1', '12')), { hold: true }),
      })
      .expect('GET', PATH, { ...watchFrom('12'), answer: watch({ hold: true }) });
    const { cache, events, errors, stop } = start(api, { stallMs: 40 });
    await api.done();
    expect(events).toEqual(['ADDED j1@12']);
    expect(cache.health).toMatchObject({ relists: 0, restarts: 1 });
    expect(errors).toEqual(['watch of jobs failed, retrying: watch of jobs was silent for 0.04s']);
    await stop();
  });

  it('restarts after errors with doubling delays up to the cap, and starts over after a watch that worked', async () => {
    const delays: number[] = [];
    const backoff = new Backoff(1, 4, () => 1);
    const next = backoff.next.bind(backoff);
    backoff.next = () => {
      const ms = next();
      delays.push(ms);
      return ms;
    };
    const broken = statusAnswer(500, 'InternalError', 'etcd is not answering');
    const api = new FakeApi()
      .expect('GET', PATH, { answer: list('10', []) })
      .expect('GET', PATH, { ...watchFrom('10'), answer: { error: 'connect ECONNREFUSED 127.0.0.1:6443' } })
      .expect('GET', PATH, { ...watchFrom('10'), answer: broken })
      .expect('GET', PATH, { ...watchFrom('10'), answer: broken })
      .expect('GET', PATH, { ...watchFrom('10'), answer: watch({ fail: new Error('socket hang up') }) })
      .expect('GET', PATH, { ...watchFrom('10'), answer: watch(bookmark('11')) })
      .expect('GET', PATH, { ...watchFrom('11'), answer: broken })
      .expect('GET', PATH, { ...watchFrom('11'), answer: watch({ hold: true }) });
    const { cache, errors, stop } = start(api, { backoff });
    await api.done();
    expect(delays).toEqual([1, 2, 4, 4, 1]);
    expect(cache.health).toMatchObject({ relists: 0, restarts: 5, lastError: 'etcd is not answering' });
    expect(errors[0]).toBe(
      'watch of jobs failed, retrying: GET /apis/batch/v1/jobs: connect ECONNREFUSED 127.0.0.1:6443',
    );
    await stop();
  });

  it('stops when aborted right after its first list (regression: the watch then never ended)', async () => {
    const api = new FakeApi().expect('GET', PATH, { answer: list('10', []) });
    const { cache, stop } = start(api);
    await cache.waitForSync();
    await stop();
    expect(cache.health.synced).toBe(true);
  });
});

describe('WatchCache indexes', () => {
  it('answers by namespace and by a custom index without scanning, and follows updates', async () => {
    const api = new FakeApi()
      .expect('GET', PATH, {
        answer: list('10', [job('j1', '1', 'x'), job('j2', '2', 'y'), job('j3', '3', 'x', 'b')]),
      })
      .expect('GET', PATH, { ...watchFrom('10'), answer: watch({ hold: true }) });
    const cache = new WatchCache<KubeObject>({ client: api.client, type: RESOURCES.jobs });
    cache.addIndex('owner', (o) => [o.metadata?.labels?.owner ?? '']);
    const abort = new AbortController();
    const running = cache.run(abort.signal);
    await api.done();
    const names = (objects: KubeObject[]) => objects.map((o) => o.metadata?.name).sort();
    expect(names(cache.list('a'))).toEqual(['j1', 'j2']);
    expect(names(cache.byIndex('owner', 'x'))).toEqual(['j1', 'j3']);
    // An object that changes owner moves between index entries; an older version never wins.
    cache.remember(job('j1', '11', 'y'));
    cache.remember(job('j1', '5', 'x'));
    expect(names(cache.byIndex('owner', 'x'))).toEqual(['j3']);
    expect(names(cache.byIndex('owner', 'y'))).toEqual(['j1', 'j2']);
    expect(cache.list('b').map((o) => o.apiVersion)).toEqual(['batch/v1']);
    abort.abort();
    await running;
    api.verify();
  });
});
