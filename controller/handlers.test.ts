/**
 * Which AgentJobs a watch event wakes, through the controller's real caches running against a
 * scripted API: the lists and watches are served in the background, and each watch releases its
 * events when the test opens a gate, so the phases below do not race each other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../shared/kube/client.js';
import { type Chunk, FakeApi } from '../test/fixtures/fake-api.js';
import { runCaches, serveCaches } from '../test/fixtures/fake-controller.js';
import { gate, soon } from '../test/support/eventually.js';
import { allCaches, createCaches } from './caches.js';
import { wireHandlers } from './handlers.js';
import { ReferenceIndex } from './ref-index.js';

const NS = 'agents';
const API = '/apis/thurkube.thurbeen.eu/v1alpha1';

const agentJob = (name: string, roleRef: string, extra: { rv?: string; generation?: number } = {}) => ({
  apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
  kind: 'AgentJob',
  metadata: {
    namespace: NS,
    name,
    uid: `uid-${name}`,
    generation: extra.generation ?? 1,
    resourceVersion: extra.rv ?? '1',
  },
  spec: { runtimeRef: 'rt', authRef: 'auth', roleRef, prompt: 'p' },
});
const role = (name: string, rv: string, allowedTools: string[], labels?: Record<string, string>) => ({
  apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
  kind: 'AgentRole',
  metadata: { namespace: NS, name, resourceVersion: rv, labels },
  spec: { allowedTools },
});
const job = (name: string, owner: string, rv: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    namespace: NS,
    name,
    resourceVersion: rv,
    labels: {
      'app.kubernetes.io/managed-by': 'thurkube',
      'thurkube.thurbeen.eu/agentjob': owner,
      'thurkube.thurbeen.eu/agentjob-namespace': NS,
    },
  },
  spec: {},
});
const event = (type: string, object: KubeObject) => ({ type, object });
const withAnnotation = (o: ReturnType<typeof agentJob>, key: string, value: string) => ({
  ...o,
  metadata: { ...o.metadata, annotations: { [key]: value } },
});

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('controller handlers', () => {
  it('wake the users of an edited reference, the AgentJob of a changed child, and nobody for status or metadata', async () => {
    const [roles, agentJobs, jobs] = [gate(), gate(), gate()];
    const watches: Record<string, Chunk[]> = {
      [`${API}/agentroles`]: [
        { until: roles.promise },
        event('MODIFIED', role('r2', '21', ['Read'], { team: 'x' })), // metadata only
        event('MODIFIED', role('r1', '22', ['Read', 'Edit'])),
        event('ADDED', role('missing', '23', ['Read'])), // d waits for it
        { hold: true },
      ],
      [`${API}/agentjobs`]: [
        { until: agentJobs.promise },
        event('MODIFIED', agentJob('c', 'r2', { rv: '31' })), // a status write: same generation
        event(
          'MODIFIED',
          withAnnotation(agentJob('c', 'r2', { rv: '32' }), 'thurkube.thurbeen.eu/run-now', '1'),
        ),
        { hold: true },
      ],
      '/apis/batch/v1/jobs': [
        { until: jobs.promise },
        event('ADDED', job('ghost-0123456789abcdef', 'ghost', '41')), // no such AgentJob
        event('ADDED', job('a-0123456789abcdef', 'a', '42')),
        { hold: true },
      ],
    };
    const listed = [
      agentJob('a', 'r1'),
      agentJob('b', 'r1'),
      agentJob('c', 'r2'),
      agentJob('d', 'missing'),
      role('r1', '11', ['Read']),
      role('r2', '12', ['Read']),
    ];
    const api = new FakeApi();
    const caches = createCaches(api.client, () => {});
    serveCaches(api, caches, listed, watches);
    const woken: string[] = [];
    wireHandlers(caches, new ReferenceIndex(), (key) => woken.push(key));
    stops.push(runCaches(caches));

    await Promise.all(allCaches(caches).map((c) => c.waitForSync()));
    // Every AgentJob, from its own list; the roles' list may wake their users again (the queue
    // deduplicates), depending on which cache synced first.
    expect([...new Set(woken)].sort()).toEqual(['agents/a', 'agents/b', 'agents/c', 'agents/d']);

    woken.length = 0;
    roles.open();
    await soon('d to be woken by its role appearing', () => woken.includes('agents/d'));
    expect(woken.sort()).toEqual(['agents/a', 'agents/b', 'agents/d']);

    woken.length = 0;
    agentJobs.open();
    await soon(
      'both events of c read',
      () => caches.agentJobs.get(NS, 'c')?.metadata?.resourceVersion === '32',
    );
    expect(woken).toEqual(['agents/c']);

    woken.length = 0;
    jobs.open();
    await soon('both Jobs read', () => caches.jobs.get(NS, 'a-0123456789abcdef') !== undefined);
    expect(woken).toEqual(['agents/a']);
    api.verify();
  });

  it('wake nobody for the answer to their own child write or its echo, and the AgentJob whose spec changed in the answer to its status write', async () => {
    const [agentJobs, jobs] = [gate(), gate()];
    const jobName = 'a-0123456789abcdef';
    const watches: Record<string, Chunk[]> = {
      [`${API}/agentjobs`]: [
        { until: agentJobs.promise },
        // Edited by its user (generation 2) just before our status write, whose answer is rv 51.
        event('MODIFIED', agentJob('a', 'r1', { rv: '50', generation: 2 })),
        event('MODIFIED', agentJob('a', 'r1', { rv: '51', generation: 2 })),
        event('MODIFIED', agentJob('a', 'r1', { rv: '52', generation: 2 })), // a status write
        { hold: true },
      ],
      '/apis/batch/v1/jobs': [
        { until: jobs.promise },
        event('ADDED', job(jobName, 'a', '42')), // the echo of our own write
        event('MODIFIED', { ...job(jobName, 'a', '43'), status: { active: 1 } }), // its pod started
        { hold: true },
      ],
    };
    const api = new FakeApi();
    const caches = createCaches(api.client, () => {});
    serveCaches(api, caches, [agentJob('a', 'r1'), role('r1', '11', ['Read'])], watches);
    const woken: string[] = [];
    wireHandlers(caches, new ReferenceIndex(), (key) => woken.push(key));
    stops.push(runCaches(caches));
    await Promise.all(allCaches(caches).map((c) => c.waitForSync()));

    woken.length = 0;
    caches.jobs.remember(job(jobName, 'a', '42'));
    expect(woken).toEqual([]);
    jobs.open();
    await soon(
      'the Job’s run starting read',
      () => caches.jobs.get(NS, jobName)?.metadata?.resourceVersion === '43',
    );
    expect(woken).toEqual(['agents/a']);

    woken.length = 0;
    caches.agentJobs.remember(agentJob('a', 'r1', { rv: '51', generation: 2 }));
    expect(woken).toEqual(['agents/a']);
    agentJobs.open();
    // rv 50 and 51 are older than or the same as what the answer told: not news; 52 wakes nobody.
    await soon(
      'the last event read',
      () => caches.agentJobs.get(NS, 'a')?.metadata?.resourceVersion === '52',
    );
    expect(woken).toEqual(['agents/a']);
    api.verify();
  });
  it('wake nobody for the Job controller’s bookkeeping on a Job that has not run, and the AgentJob once it runs', async () => {
    const jobs = gate();
    const name = 'a-0123456789abcdef';
    const base = job(name, 'a', '42');
    const at = (rv: string, extra: { status?: Record<string, unknown>; spec?: Record<string, unknown> }) => ({
      ...base,
      metadata: { ...base.metadata, resourceVersion: rv },
      ...extra,
    });
    // Started by hand ("run now" of a scheduled AgentJob): its startTime is b's lastRunTime.
    const listedManual = job('b-manual', 'b', '44');
    const manual = {
      ...listedManual,
      metadata: { ...listedManual.metadata, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } },
    };
    const watches: Record<string, Chunk[]> = {
      '/apis/batch/v1/jobs': [
        { until: jobs.promise },
        // Its pods held back (a quota): the Job controller records when it picked the Job up.
        event(
          'MODIFIED',
          at('45', { status: { startTime: '2026-12-07T03:00:00Z', ready: 0, terminating: 0 } }),
        ),
        event('MODIFIED', {
          ...manual,
          metadata: { ...manual.metadata, resourceVersion: '46' },
          status: { startTime: '2026-12-07T03:00:01Z' },
        }),
        event(
          'MODIFIED',
          at('47', { status: { startTime: '2026-12-07T03:00:00Z' }, spec: { suspend: true } }),
        ),
        event(
          'MODIFIED',
          at('48', { status: { startTime: '2026-12-07T03:00:00Z', active: 1 }, spec: { suspend: true } }),
        ),
        { hold: true },
      ],
    };
    const api = new FakeApi();
    const caches = createCaches(api.client, () => {});
    serveCaches(
      api,
      caches,
      [agentJob('a', 'r1'), agentJob('b', 'r1'), role('r1', '11', ['Read']), base, manual],
      watches,
    );
    const woken: string[] = [];
    wireHandlers(caches, new ReferenceIndex(), (key) => woken.push(key));
    stops.push(runCaches(caches));
    await Promise.all(allCaches(caches).map((c) => c.waitForSync()));

    woken.length = 0;
    jobs.open();
    await soon('the last event read', () => caches.jobs.get(NS, name)?.metadata?.resourceVersion === '48');
    // 45 wakes nobody; the run-now Job's start (46), the spec edit (47) and the pod running (48) do.
    expect(woken).toEqual(['agents/b', 'agents/a', 'agents/a']);
    api.verify();
  });
});
