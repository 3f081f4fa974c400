/**
 * One reconcile of one AgentJob against the scripted API: what it writes, in which order and
 * how (server-side apply as `thurkube`, force only on what it already owns), what it reports in
 * status and events, and what it concludes (done, retry, or wait for a change). The caches are
 * the controller's real ones, synced from the lists the fake serves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isRetryable, ThurkubeError } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import { FIELD_MANAGER } from '../shared/labels.js';
import { parseSpec } from '../shared/objects.js';
import { render } from '../shared/render/children.js';
import type { AgentJobSpec, AgentJobStatus } from '../shared/schemas/agent-job.js';
import { statusAnswer } from '../test/fixtures/fake-api.js';
import { type FakeController, fakeController, stored } from '../test/fixtures/fake-controller.js';
import { example } from '../test/fixtures/load.js';
import { minimalInput } from '../test/fixtures/render.js';
import { reconcile } from './reconcile.js';

const NS = 'agents';
const UID = 'uid-summarize';
const KEY = `${NS}/summarize`;
const AGENTJOB = `/apis/thurkube.thurbeen.eu/v1alpha1/namespaces/${NS}/agentjobs/summarize`;
const CONFIGMAP = `/api/v1/namespaces/${NS}/configmaps/summarize-config`;
const CLAIM = `/api/v1/namespaces/${NS}/persistentvolumeclaims/summarize-data`;
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const FIRST_APPLY = { fieldManager: FIELD_MANAGER, force: 'false' };
const OWNED_APPLY = { fieldManager: FIELD_MANAGER, force: 'true' };

/** The minimal example's references, as the caches list them. */
const references = (): KubeObject[] =>
  (['AgentRuntime', 'AgentAuth', 'AgentRole'] as const).map((kind) => {
    const manifest = example(kind, 'minimal');
    return { ...manifest, metadata: { ...manifest.metadata, namespace: NS, resourceVersion: '5' } };
  });

/** The minimal example AgentJob at `generation`, with `spec` laid over its spec. */
function agentJob(generation: number, spec: Partial<AgentJobSpec> = {}, status?: AgentJobStatus): KubeObject {
  const manifest = example('AgentJob', 'minimal');
  return {
    ...manifest,
    metadata: { name: 'summarize', namespace: NS, uid: UID, generation, resourceVersion: String(generation) },
    spec: { ...manifest.spec, ...spec },
    ...(status ? { status } : {}),
  };
}

/** The Job name a spec gets (N-<configHash>), from the pure renderer the unit tests of render check. */
function jobNameFor(spec: Partial<AgentJobSpec> = {}): string {
  const input = minimalInput();
  const parsed = parseSpec('AgentJob', { ...example('AgentJob', 'minimal').spec, ...spec });
  if (!parsed.ok) throw new Error('bad spec');
  const rendered = render({
    ...input,
    agentJob: { name: 'summarize', namespace: NS, uid: UID },
    spec: parsed.value,
  });
  return `summarize-${rendered.configHash}`;
}

const CHILD_LABELS = {
  'app.kubernetes.io/managed-by': 'thurkube',
  'thurkube.thurbeen.eu/agentjob': 'summarize',
  'thurkube.thurbeen.eu/agentjob-namespace': NS,
  'thurkube.thurbeen.eu/owner-uid': UID,
};
const OWNER = [
  {
    apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
    kind: 'AgentJob',
    name: 'summarize',
    uid: UID,
    controller: true,
    blockOwnerDeletion: true,
  },
];

let running: FakeController | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function controllerWith(objects: KubeObject[]) {
  running = await fakeController(objects);
  return running;
}

const bodyOf = (f: FakeController, method: string, path: string) =>
  f.api.received.find((r) => r.method === method && r.path === path)?.body as KubeObject | undefined;

/** The status written last (in `received`, every request by default). */
const statusOf = (f: FakeController, received = f.api.received) =>
  (received.findLast((r) => r.method === 'PATCH' && r.path === `${AGENTJOB}/status`)?.body as KubeObject)
    ?.status as AgentJobStatus | undefined;

describe('reconcile', () => {
  it('writes a new AgentJob’s ConfigMap and Job by server-side apply, then its status at the observed generation; a second pass writes nothing', async () => {
    const aj = agentJob(3);
    const f = await controllerWith([aj, ...references()]);
    const job = jobNameFor();
    f.api
      .expect('PATCH', CONFIGMAP, { query: FIRST_APPLY, answer: stored() })
      .expect('PATCH', `${JOBS}/${job}`, { query: FIRST_APPLY, answer: stored() })
      .expect('PATCH', `${AGENTJOB}/status`, { query: OWNED_APPLY, answer: stored(aj) });

    await expect(reconcile(f.ctx, KEY)).resolves.toBeUndefined();
    f.api.verify();

    const writes = f.api.received.filter((r) => r.method === 'PATCH');
    expect(writes.map((r) => r.headers['Content-Type'])).toEqual(
      Array(3).fill('application/apply-patch+yaml'),
    );
    const configMap = bodyOf(f, 'PATCH', CONFIGMAP);
    expect(configMap?.metadata).toMatchObject({ labels: CHILD_LABELS, ownerReferences: OWNER });
    expect(Object.keys(configMap?.data as object)).toEqual(['agent.json']);
    const data = (configMap?.data ?? {}) as Record<string, string>;
    expect(JSON.parse(data['agent.json'] ?? '')).toMatchObject({
      prompt: "Summarize today's incoming issues.",
    });
    expect(bodyOf(f, 'PATCH', `${JOBS}/${job}`)).toMatchObject({
      kind: 'Job',
      metadata: { labels: CHILD_LABELS, ownerReferences: OWNER },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } },
    });
    const status = statusOf(f) as AgentJobStatus;
    expect(status).toMatchObject({
      phase: 'Pending',
      message: `Job ${job} has not started yet`,
      observedGeneration: 3,
      configHash: job.slice('summarize-'.length),
      ownedResources: [
        { kind: 'ConfigMap', name: 'summarize-config' },
        { kind: 'Job', name: job },
      ],
    });
    // At the observed generation, with second-precision times, as the API conventions ask.
    const condition = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      observedGeneration: 3,
      lastTransitionTime: '2025-06-01T12:00:00Z',
    });
    expect(status.conditions).toEqual([
      condition('LastRunSucceeded', 'Unknown', 'Pending', `run ${job} is pending`),
      condition('Ready', 'True', 'ChildrenReady', 'every child object is in place'),
      condition('RefsResolved', 'True', 'Resolved', 'every reference exists'),
    ]);
    expect(f.events()).toEqual([
      { type: 'Normal', reason: 'Applied', note: `created ConfigMap summarize-config; created Job ${job}` },
    ]);

    // The caches now hold what was written: nothing differs, nothing is sent.
    const before = f.api.received.length;
    await expect(reconcile(f.ctx, KEY)).resolves.toBeUndefined();
    expect(f.api.received.slice(before)).toEqual([]);
    f.api.verify();
  });

  it('on a new generation, re-applies the ConfigMap it owns with force, starts the new Job, stops the old one and records the generation', async () => {
    const f = await controllerWith([agentJob(1), ...references()]);
    const oldJob = jobNameFor();
    f.api
      .expect('PATCH', CONFIGMAP, { answer: stored() })
      .expect('PATCH', `${JOBS}/${oldJob}`, { answer: stored() })
      .expect('PATCH', `${AGENTJOB}/status`, { answer: stored(agentJob(1)) });
    await reconcile(f.ctx, KEY);
    f.api.verify();

    // The user edits the prompt: the watch brings generation 2 (its status is the one written).
    const written = f.ctx.caches.agentJobs.get(NS, 'summarize');
    const edited = agentJob(2, { prompt: 'Summarize yesterday.' }, written?.status as AgentJobStatus);
    edited.metadata = { ...edited.metadata, resourceVersion: '1000' };
    f.ctx.caches.agentJobs.remember(edited);
    const newJob = jobNameFor({ prompt: 'Summarize yesterday.' });
    expect(newJob).not.toBe(oldJob);
    const before = f.api.received.length;
    f.api
      .expect('PATCH', CONFIGMAP, { query: OWNED_APPLY, answer: stored() })
      .expect('PATCH', `${JOBS}/${newJob}`, { query: FIRST_APPLY, answer: stored() })
      .expect('DELETE', `${JOBS}/${oldJob}`, {
        body: { propagationPolicy: 'Background' },
        // What the API server answers when the object is gone at once: a Status naming it.
        answer: {
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name: oldJob, group: 'batch', kind: 'jobs', uid: `uid-${oldJob}` },
          },
        },
      })
      .expect('PATCH', `${AGENTJOB}/status`, { answer: stored(edited) });

    await expect(reconcile(f.ctx, KEY)).resolves.toBeUndefined();
    f.api.verify();
    // Read from the answer, as a write's: the old Job is out of the cache before its watch event.
    expect(f.ctx.caches.jobs.get(NS, oldJob)).toBeUndefined();
    expect(f.ctx.caches.jobs.get(NS, newJob)).toBeDefined();
    expect(f.api.received.slice(before).map((r) => `${r.method} ${r.path}`)).not.toContain(
      `PATCH ${JOBS}/${oldJob}`,
    );
    expect(statusOf(f, f.api.received.slice(before))).toMatchObject({
      observedGeneration: 2,
      configHash: newJob.slice('summarize-'.length),
      ownedResources: [
        { kind: 'ConfigMap', name: 'summarize-config' },
        { kind: 'Job', name: newJob },
      ],
    });
    const superseded = `superseded by Job ${newJob} (configHash ${newJob.slice('summarize-'.length)})`;
    expect(f.events().slice(-2)).toEqual([
      {
        type: 'Normal',
        reason: 'Applied',
        note: `updated ConfigMap summarize-config; created Job ${newJob}; deleted Job ${oldJob} (${superseded})`,
      },
      { type: 'Normal', reason: 'RunStopped', note: `run ${oldJob} stopped: ${superseded}` },
    ]);
  });

  it('with a reference missing, writes no child: status says which one, and it waits for a change', async () => {
    const refs = references().filter((o) => o.kind !== 'AgentRole');
    const aj = agentJob(2);
    const f = await controllerWith([aj, ...refs]);
    f.api.expect('PATCH', `${AGENTJOB}/status`, { query: OWNED_APPLY, answer: stored(aj) });

    await expect(reconcile(f.ctx, KEY)).resolves.toBeUndefined();
    f.api.verify();
    const message =
      'waiting for references: spec.roleRef: AgentRole "read-only" not found in namespace "agents"';
    const status = statusOf(f) as AgentJobStatus;
    expect(status).toMatchObject({ phase: 'Pending', message, observedGeneration: 2, ownedResources: [] });
    expect(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
    ).toEqual([
      ['Ready', 'False', 'RefsMissing', message, 2],
      ['RefsResolved', 'False', 'RefsMissing', message, 2],
    ]);
    expect(f.events()).toEqual([{ type: 'Warning', reason: 'RefsMissing', note: message }]);
  });

  it('a child the API server refuses for a conflict is reported in status and not retried', async () => {
    const aj = agentJob(1);
    const f = await controllerWith([aj, ...references()]);
    const refusal = 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.agent.json';
    f.api
      .expect('PATCH', CONFIGMAP, { answer: statusAnswer(409, 'Conflict', refusal) })
      .expect('PATCH', `${JOBS}/${jobNameFor()}`, { answer: stored() })
      .expect('PATCH', `${AGENTJOB}/status`, { answer: stored(aj) });

    const error = await reconcile(f.ctx, KEY).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ThurkubeError);
    expect((error as ThurkubeError).kind).toBe('Invalid');
    expect((error as ThurkubeError).message).toBe(refusal);
    f.api.verify();
    const status = statusOf(f) as AgentJobStatus;
    expect(status).toMatchObject({ phase: 'Pending', message: refusal, observedGeneration: 1 });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ChildConflict',
      message: refusal,
    });
    expect(f.events()).toContainEqual({ type: 'Warning', reason: 'ChildConflict', note: refusal });
  });

  it('an API server failure leaves status alone and is retried; the retry writes only what is still missing', async () => {
    const aj = agentJob(1);
    const f = await controllerWith([aj, ...references()]);
    const job = jobNameFor();
    f.api.expect('PATCH', CONFIGMAP, { answer: stored() }).expect('PATCH', `${JOBS}/${job}`, {
      answer: statusAnswer(500, 'InternalError', 'etcdserver: request timed out'),
    });

    const error = await reconcile(f.ctx, KEY).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toBe('etcdserver: request timed out');
    f.api.verify(); // no status write came

    f.api
      .expect('PATCH', `${JOBS}/${job}`, { query: FIRST_APPLY, answer: stored() })
      .expect('PATCH', `${AGENTJOB}/status`, { answer: stored(aj) });
    await expect(reconcile(f.ctx, KEY)).resolves.toBeUndefined();
    f.api.verify();
    expect(f.events()).toEqual([{ type: 'Normal', reason: 'Applied', note: `created Job ${job}` }]);
  });

  it('creates the data claim for persist, and never deletes it when persist is turned off', async () => {
    const aj = agentJob(1, { persist: true });
    const f = await controllerWith([aj, ...references()]);
    f.api
      .expect('PATCH', CONFIGMAP, { answer: stored() })
      .expect('PATCH', CLAIM, { query: FIRST_APPLY, answer: stored() })
      .expect('PATCH', `${JOBS}/${jobNameFor({ persist: true })}`, { answer: stored() })
      .expect('PATCH', `${AGENTJOB}/status`, { answer: stored(aj) });
    await reconcile(f.ctx, KEY);
    f.api.verify();
    expect(bodyOf(f, 'PATCH', CLAIM)).toMatchObject({
      kind: 'PersistentVolumeClaim',
      metadata: { labels: CHILD_LABELS, ownerReferences: OWNER },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });

    const written = f.ctx.caches.agentJobs.get(NS, 'summarize');
    const edited = agentJob(2, { persist: false }, written?.status as AgentJobStatus);
    edited.metadata = { ...edited.metadata, resourceVersion: '1000' };
    f.ctx.caches.agentJobs.remember(edited);
    const before = f.api.received.length;
    // agent.json does not change with persist: the ConfigMap is left as it is.
    f.api
      .expect('PATCH', `${JOBS}/${jobNameFor({ persist: false })}`, { answer: stored() })
      .expect('DELETE', `${JOBS}/${jobNameFor({ persist: true })}`)
      .expect('PATCH', `${AGENTJOB}/status`, { answer: stored(edited) });
    await reconcile(f.ctx, KEY);
    f.api.verify();
    const sent = f.api.received.slice(before);
    expect(sent.filter((r) => r.path.includes('persistentvolumeclaims'))).toEqual([]);
    // Still listed as the AgentJob's: it goes with the AgentJob (owner reference), not before.
    expect(statusOf(f, sent)?.ownedResources).toContainEqual({
      kind: 'PersistentVolumeClaim',
      name: 'summarize-data',
    });
  });
});
