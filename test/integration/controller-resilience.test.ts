/**
 * The controller survives what production throws at it: its own restart (and then writes
 * nothing for unchanged objects), a second replica (only the leader writes; the other takes over
 * when it leaves), and an API server restart. This file starts its own cluster, because
 * restarting the API server would disturb the suites that share the main one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterState, restartComponent, startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { installCrds } from '../../dev/cluster/crds.js';
import { example } from '../fixtures/load.js';
import { clusterFrom, eventually } from '../support/testing.js';
import {
  applyManifest,
  applyReferences,
  authorized,
  type Cluster,
  condition,
  startTestController,
  statusWhen,
  writesOf,
} from './controller-helpers.js';

let state: ClusterState;
let cluster: Cluster;
let ns = '';

beforeAll(async () => {
  state = await startCluster({ dir: mkdtempSync(join(tmpdir(), 'thurkube-resilience-')) });
  cluster = clusterFrom(state.kubeconfig, state.binaries);
  await installCrds(cluster);
  ns = await cluster.newNamespace('resilience');
  await applyReferences(cluster, ns);
});
afterAll(async () => {
  if (state) await stopCluster(state);
});

const agentJob = (name: string, scheduled = false) => {
  const aj = example('AgentJob', scheduled ? 'full' : 'minimal');
  aj.metadata.name = name;
  return aj;
};

describe('controller restart', () => {
  it('sends no writes for objects that did not change while it was away', async () => {
    const first = await startTestController(cluster, { namespace: ns });
    await applyManifest(cluster, ns, agentJob('once'));
    await applyManifest(cluster, ns, await authorized(cluster, ns, agentJob('cron', true)));
    await statusWhen(cluster, ns, 'once', 'Succeeded', (s) => s.phase === 'Succeeded');
    await statusWhen(cluster, ns, 'cron', 'Scheduled', (s) => s.phase === 'Scheduled');
    await first.queue.drained();
    await first.stop();

    const second = await startTestController(cluster, { namespace: ns });
    await eventually('caches to sync', () => second.ready().length === 0);
    // The initial list queues both AgentJobs: wait until both were reconciled, then for the queue.
    const reconciled = () =>
      second.metrics.reconciles.get({ result: 'success' }) +
      second.metrics.reconciles.get({ result: 'requeue' });
    await eventually('both AgentJobs to be reconciled', () => reconciled() >= 2);
    await second.queue.drained();
    expect(second.metrics.reconciles.get({ result: 'error' })).toBe(0);
    const sent = second.metrics.registry
      .render()
      .split('\n')
      .filter((l) => /^thurkube_controller_(applies|deletes|status_writes|kube_requests)_total/.test(l))
      .join('\n');
    expect(writesOf(second), sent).toBe(0);
    await second.stop();
  });
});

describe('two replicas', () => {
  it('only the leader writes; the standby takes over when the leader leaves', async () => {
    const opts = { namespace: ns, leaderElect: true, leaseNamespace: ns, leaseName: 'thurkube-controller' };
    const a = await startTestController(cluster, { ...opts, identity: 'replica-a' });
    await eventually('replica a to lead', () => a.isLeader());
    const b = await startTestController(cluster, { ...opts, identity: 'replica-b' });
    await eventually('replica b to know it is a standby', () => b.ready().length === 0);
    expect(b.isLeader()).toBe(false);
    const leaderLine = (c: typeof b) =>
      c.metrics.registry
        .render()
        .split('\n')
        .find((l) => l.startsWith('thurkube_controller_leader '));
    // What the "no replica leads" alert reads: a standby says 0, not nothing.
    expect(leaderLine(b)).toBe('thurkube_controller_leader 0');
    expect(leaderLine(a)).toBe('thurkube_controller_leader 1');

    await applyManifest(cluster, ns, agentJob('led-by-a'));
    await statusWhen(cluster, ns, 'led-by-a', 'Ready', (s) => condition(s, 'Ready')?.status === 'True');
    expect(b.metrics.applies.get({ kind: 'Job' })).toBe(0);
    expect(b.metrics.statusWrites.get()).toBe(0);
    expect(a.metrics.applies.get({ kind: 'Job' })).toBeGreaterThanOrEqual(1);

    const leftAt = Date.now();
    await a.stop();
    await eventually('replica b to take over', () => b.isLeader(), 20_000, 100);
    const failoverMs = Date.now() - leftAt;
    expect(failoverMs).toBeLessThan(15_000);
    expect(leaderLine(b)).toBe('thurkube_controller_leader 1');
    await applyManifest(cluster, ns, agentJob('led-by-b'));
    await statusWhen(cluster, ns, 'led-by-b', 'Ready', (s) => condition(s, 'Ready')?.status === 'True');
    expect(b.metrics.applies.get({ kind: 'Job' })).toBeGreaterThanOrEqual(1);
    await b.stop();
  });
});

describe('API server restart', () => {
  it('keeps reconciling once the API server is back', async () => {
    const controller = await startTestController(cluster, { namespace: ns });
    await eventually('caches to sync', () => controller.ready().length === 0);
    await restartComponent(state, 'kube-apiserver', 2000);
    await applyManifest(cluster, ns, agentJob('after-restart'));
    const status = await statusWhen(
      cluster,
      ns,
      'after-restart',
      'Succeeded',
      (s) => s.phase === 'Succeeded',
      90_000,
    );
    expect(condition(status, 'Ready')?.status).toBe('True');
    await controller.stop();
  });
});
