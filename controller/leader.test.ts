import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../shared/kube/resources.js';
import { createLogger } from '../shared/log.js';
import { type Answer, FakeApi, type Received, statusAnswer } from '../test/fixtures/fake-api.js';
import { gate, soon } from '../test/support/eventually.js';
import { LeaderElector, type LeaderOptions } from './leader.js';
import { WorkQueue } from './queue.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/ns/leases';
const LEASE = `${LEASES}/ctl`;

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
const lease = (rv: string, spec: LeaseSpec) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'ctl', namespace: 'ns', resourceVersion: rv },
  spec,
});
/** The lease as the API server hands back what was written, at a new resourceVersion. */
const echo =
  (rv: string) =>
  (request: Received): Answer => ({
    body: { ...(request.body as object), metadata: { name: 'ctl', namespace: 'ns', resourceVersion: rv } },
  });
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** An API where this replica ("me") finds its own lease and renews it. */
const holdingItsLease = () =>
  new FakeApi()
    .expect('GET', LEASE, {
      answer: { body: lease('1', { holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 0 }) },
    })
    .expect('PUT', LEASE, { answer: echo('2') });

/** An elector on a fast clock: renewal every 5 ms; the changes of leadership it reported. */
function elector(api: FakeApi, options: Partial<LeaderOptions> = {}) {
  const changes: string[] = [];
  const e = new LeaderElector({
    client: api.client,
    namespace: 'ns',
    name: 'ctl',
    identity: 'me',
    retryPeriodMs: 5,
    log: createLogger('test', 'silent'),
    onStartedLeading: () => changes.push('started'),
    onStoppedLeading: () => changes.push('stopped'),
    ...options,
  });
  return { e, changes };
}

describe('LeaderElector', () => {
  it('creates a missing lease and leads; renews it at its resourceVersion; releases it when stopped', async () => {
    const stop = new AbortController();
    const api = new FakeApi()
      .expect('GET', LEASE, { answer: statusAnswer(404, 'NotFound', 'leases "ctl" not found') })
      .expect('POST', LEASES, {
        body: (body: { metadata: unknown; spec: LeaseSpec }) => {
          expect(body.metadata).toEqual({ name: 'ctl', namespace: 'ns' });
          expect(body.spec).toMatchObject({
            holderIdentity: 'me',
            leaseDurationSeconds: 15,
            leaseTransitions: 0,
          });
          expect(body.spec.renewTime).toMatch(MICRO_TIME);
        },
        answer: echo('1'),
      })
      .expect('GET', LEASE, {
        answer: { body: lease('1', { holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 0 }) },
      })
      .expect('PUT', LEASE, {
        body: (body: { metadata: { resourceVersion: string }; spec: LeaseSpec }) => {
          expect(body.metadata.resourceVersion).toBe('1');
          expect(body.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 0 });
        },
        answer: (request) => {
          stop.abort();
          return echo('2')(request);
        },
      })
      .expect('PUT', LEASE, {
        body: (body: { metadata: { resourceVersion: string }; spec: LeaseSpec }) => {
          expect(body.metadata.resourceVersion).toBe('2');
          expect(body.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
        },
        answer: echo('3'),
      });
    const { e, changes } = elector(api);
    await e.run(stop.signal);
    expect(changes).toEqual(['started', 'stopped']);
    expect(e.isLeader).toBe(false);
    api.verify();
  });

  it('stands by while another replica renews, and takes over once the same record has been seen for the lease duration', async () => {
    const stop = new AbortController();
    const theirs = (renewTime: string) =>
      lease('7', { holderIdentity: 'them', leaseDurationSeconds: 0.05, renewTime, leaseTransitions: 3 });
    const api = new FakeApi()
      .expect('GET', LEASE, { answer: { body: theirs('2026-01-01T00:00:00.000000Z') } })
      .expect('GET', LEASE, { answer: { body: theirs('2026-01-01T00:00:02.000000Z') }, repeat: true })
      .expect('PUT', LEASE, {
        body: (body: { metadata: { resourceVersion: string }; spec: LeaseSpec }) => {
          expect(body.metadata.resourceVersion).toBe('7');
          expect(body.spec).toMatchObject({
            holderIdentity: 'me',
            leaseDurationSeconds: 15,
            leaseTransitions: 4,
          });
          expect(body.spec.acquireTime).toMatch(MICRO_TIME);
        },
        answer: (request) => {
          stop.abort();
          return echo('8')(request);
        },
      })
      .expect('PUT', LEASE, { answer: echo('9') });
    const { e, changes } = elector(api);
    const running = e.run(stop.signal);
    await soon('the elector to know it stands by', () => e.known);
    expect([e.isLeader, e.holds(), changes]).toEqual([false, false, []]);
    await running;
    expect(changes).toEqual(['started', 'stopped']);
    // Counted from when it first saw the renewed record, not from the holder's clock.
    const [, renewedSeen, ...rest] = api.received;
    const takeover = rest.find((r) => r.method === 'PUT');
    expect((takeover?.at ?? 0) - (renewedSeen?.at ?? 0)).toBeGreaterThanOrEqual(50);
    api.verify();
  });

  it('does not lead when another replica wrote the lease first (409 Conflict)', async () => {
    const stop = new AbortController();
    const api = new FakeApi()
      .expect('GET', LEASE, { answer: { body: lease('4', { holderIdentity: '', leaseDurationSeconds: 1 }) } })
      .expect('PUT', LEASE, { answer: statusAnswer(409, 'Conflict', 'the object has been modified') })
      .expect('GET', LEASE, {
        answer: () => {
          stop.abort();
          return { body: lease('5', { holderIdentity: 'them', leaseDurationSeconds: 15 }) };
        },
      });
    const { e, changes } = elector(api);
    await e.run(stop.signal);
    expect([e.isLeader, changes]).toEqual([false, []]);
    api.verify();
  });

  it('steps down when it cannot renew within the renew deadline', async () => {
    const stop = new AbortController();
    const api = holdingItsLease().expect('GET', LEASE, {
      answer: { error: 'connect ECONNREFUSED 127.0.0.1:6443' },
      repeat: true,
    });
    const { e, changes } = elector(api, { renewDeadlineMs: 30 });
    const running = e.run(stop.signal);
    await soon('stepping down', () => changes.includes('stopped'));
    const renewed = api.received[1]?.at ?? 0;
    expect(performance.now() - renewed).toBeGreaterThanOrEqual(30);
    expect([e.isLeader, e.holds(), changes]).toEqual([false, false, ['started', 'stopped']]);
    stop.abort();
    await running; // not leading: nothing to release
    api.verify();
  });

  it('stops holding the lease at the renew deadline even while its loop is late (the write fence)', async () => {
    const stop = new AbortController();
    const api = holdingItsLease();
    const { e, changes } = elector(api, { renewDeadlineMs: 40, retryPeriodMs: 60_000 });
    const running = e.run(stop.signal);
    await soon('leadership', () => changes.includes('started'));
    expect(e.holds()).toBe(true);
    // The loop sleeps a minute before its next renewal; the fence does not wait for it.
    await soon('the renew deadline to pass', () => !e.holds());
    expect([e.isLeader, changes]).toEqual([true, ['started']]);
    api.expect('PUT', LEASE, { answer: echo('3') }); // the release on stop
    stop.abort();
    await running;
    expect(changes).toEqual(['started', 'stopped']);
    api.verify();
  });
});

describe('writes fenced by leadership', () => {
  it('a reconcile in flight when leadership is lost stops before its next write', async () => {
    const stop = new AbortController();
    // The renewal loop is late (it sleeps a minute); the fence goes by the renew deadline alone.
    const api = holdingItsLease()
      .expect('POST', '/api/v1/namespaces/a/configmaps', { answer: { status: 201, body: {} } })
      .expect('PUT', LEASE, { answer: echo('3') }); // the release on stop
    const errors: string[] = [];
    const inFlight = gate();
    const { e, changes } = elector(api, { renewDeadlineMs: 30, retryPeriodMs: 60_000 });
    const writer = api.client.fenced(() =>
      e.holds() ? undefined : 'this replica no longer holds the leader lease',
    );
    const configMap = (name: string) => ({ metadata: { name, namespace: 'a' } });
    let secondWrite: unknown;
    const queue = new WorkQueue({
      process: async () => {
        await writer.create(RESOURCES.configMaps, configMap('first'));
        await inFlight.promise; // leadership is lost while this reconcile is in flight
        try {
          await writer.create(RESOURCES.configMaps, configMap('second'));
        } catch (error) {
          secondWrite = error;
          throw error;
        }
        return undefined;
      },
      concurrency: 1,
      onError: (_key, error) => errors.push(String((error as Error).message)),
    });
    const running = e.run(stop.signal);
    await soon('leadership', () => changes.includes('started'));
    queue.resume();
    queue.add('a/job');
    await soon('the first write', () => api.received.some((r) => r.method === 'POST'));
    await soon('leadership lost', () => !e.holds());
    inFlight.open();
    await soon('the reconcile to fail', () => errors.length === 1);
    expect(errors).toEqual([
      'POST /api/v1/namespaces/a/configmaps not sent: this replica no longer holds the leader lease',
    ]);
    expect(secondWrite).toMatchObject({ kind: 'Transient', reason: 'Fenced' });
    expect(api.received.filter((r) => r.method === 'POST')).toHaveLength(1);
    await queue.shutdown();
    stop.abort();
    await running;
    api.verify();
  });
});
