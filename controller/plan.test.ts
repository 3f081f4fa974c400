import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { render } from '../shared/render/children.js';
import type { PolicyRule } from '../shared/schemas/core.js';
import { fullInput, minimalInput } from '../test/fixtures/render.js';
import type { AccessGrant } from './cluster-access.js';
import { type ChildrenSeen, plan } from './plan.js';

const none: ChildrenSeen = { jobs: [] };
/** What a privileged AgentJob has once its runner ServiceAccount exists. */
const withRunner: ChildrenSeen = {
  jobs: [],
  serviceAccount: { metadata: { name: 'pr-fixer-runner', uid: 'sa-uid' } },
};
/** What a valid authorization of the ClusterAccess grants (cluster-access.ts). */
const granted = (rules: PolicyRule[]): AccessGrant & { granted: true } => ({
  granted: true,
  rules,
  authorized: true,
  reason: 'Authorized',
  message: 'authorized',
});
const planFor = (
  input = minimalInput(),
  seen: ChildrenSeen = input.refs.clusterAccess ? withRunner : none,
  extra: Partial<Parameters<typeof plan>[0]> = {},
) =>
  plan({
    id: input.agentJob,
    spec: input.spec,
    refs: input.refs,
    rendered: render(input),
    seen,
    grant: input.refs.clusterAccess && granted(input.refs.clusterAccess.spec.rules),
    ...extra,
  });
const applied = (p: ReturnType<typeof plan>) =>
  p.apply.map((a) => `${a.type.kind}/${a.object.metadata?.name}`);
const removed = (p: ReturnType<typeof plan>) => p.remove.map((r) => `${r.type.kind}/${r.name}`);
const activeJob = (name: string): V1Job => ({ metadata: { name }, status: { active: 1 } });

describe('plan', () => {
  it('a minimal one-shot AgentJob: ConfigMap and Job, no finalizer', () => {
    const input = minimalInput();
    const p = planFor(input);
    expect(applied(p)).toEqual(['ConfigMap/summarize-config', `Job/summarize-${render(input).configHash}`]);
    expect(p.needsFinalizer).toBe(false);
  });

  it('a full scheduled AgentJob: claim, runner ServiceAccount, cluster RBAC, CronJob, and the finalizer', () => {
    const p = planFor(fullInput());
    expect(applied(p)).toEqual([
      'ConfigMap/pr-fixer-config',
      'PersistentVolumeClaim/pr-fixer-data',
      'ServiceAccount/pr-fixer-runner',
      'ClusterRole/thurkube-agents-pr-fixer',
      'ClusterRoleBinding/thurkube-agents-pr-fixer',
      'CronJob/pr-fixer',
    ]);
    expect(p.needsFinalizer).toBe(true);
  });

  it('never re-applies an existing data claim (it holds user data; its spec is immutable)', () => {
    const p = planFor(fullInput(), { jobs: [], dataClaim: { metadata: { name: 'pr-fixer-data' } } });
    expect(applied(p)).not.toContain('PersistentVolumeClaim/pr-fixer-data');
    expect(p.ownedResources).toContainEqual({ kind: 'PersistentVolumeClaim', name: 'pr-fixer-data' });
  });

  it('does not run a finished one-shot again after its Job was cleaned up', () => {
    const input = minimalInput();
    const configHash = render(input).configHash;
    const p = planFor(input, none, { previous: { phase: 'Succeeded', configHash } });
    expect(applied(p)).toEqual(['ConfigMap/summarize-config']);
  });

  it('stops the active run of an older configHash when a new one supersedes it', () => {
    const p = planFor(minimalInput(), { jobs: [activeJob('summarize-0000000000000000')] });
    expect(removed(p)).toEqual(['Job/summarize-0000000000000000']);
  });

  it('removes the runner and cluster RBAC when clusterAccessRef goes, keeping the finalizer until they are gone', () => {
    const seen = {
      jobs: [],
      serviceAccount: { metadata: { name: 'summarize-runner' } },
      clusterRole: { metadata: { name: 'thurkube-agents-summarize' } },
      clusterRoleBinding: { metadata: { name: 'thurkube-agents-summarize' } },
    };
    const p = planFor(minimalInput(), seen);
    expect(removed(p)).toEqual([
      'ClusterRoleBinding/thurkube-agents-summarize',
      'ClusterRole/thurkube-agents-summarize',
      'ServiceAccount/summarize-runner',
    ]);
    expect(p.needsFinalizer).toBe(true);
  });

  it('starts a run-now Job once per new value, and none while suspended', () => {
    const first = planFor(fullInput(), withRunner, { runNow: 'v1' });
    expect(applied(first).filter((a) => a.startsWith('Job/'))).toEqual([
      expect.stringMatching(/^Job\/pr-fixer-now-[0-9a-f]{5}$/),
    ]);
    expect(first.handledRunNow).toBe('v1');
    const again = planFor(fullInput(), withRunner, { runNow: 'v1', previous: { handledRunNow: 'v1' } });
    expect(applied(again).some((a) => a.startsWith('Job/'))).toBe(false);
    const suspended = planFor(fullInput({ suspend: true }), withRunner, {
      runNow: 'v2',
      previous: { handledRunNow: 'v1' },
    });
    expect(applied(suspended).some((a) => a.startsWith('Job/'))).toBe(false);
    expect(suspended.runNowSkipped).toBe('v2');
  });

  it('deletes the CronJob when the schedule is removed, and the active cron runs when suspended', () => {
    expect(
      removed(planFor(minimalInput(), { jobs: [], cronJob: { metadata: { name: 'summarize' } } })),
    ).toEqual(['CronJob/summarize']);
    expect(
      removed(planFor(fullInput({ suspend: true }), { jobs: [activeJob('pr-fixer-29000000')] })),
    ).toEqual(['Job/pr-fixer-29000000']);
  });

  describe('cluster access', () => {
    const notAuthorized: AccessGrant = {
      granted: false,
      reason: 'NotAuthorized',
      message: 'ClusterAccess "read-pods" is not granted: ...',
    };
    const mine = (name: string, uid = 'a-uid') => ({ metadata: { name, uid } });

    it('grants nothing and starts no run without an authorization, removing the RBAC it had', () => {
      const rbac = 'thurkube-agents-pr-fixer';
      const p = planFor(
        fullInput(),
        { jobs: [], clusterRole: mine(rbac, 'role-uid'), clusterRoleBinding: mine(rbac, 'binding-uid') },
        {
          grant: notAuthorized,
          runNow: 'v1',
        },
      );
      expect(applied(p)).toEqual([
        'ConfigMap/pr-fixer-config',
        'PersistentVolumeClaim/pr-fixer-data',
        'CronJob/pr-fixer',
      ]);
      const cron = p.apply.find((a) => a.type.kind === 'CronJob')?.object as { spec: { suspend: boolean } };
      expect(cron.spec.suspend).toBe(true);
      expect(p.runNowSkipped).toBe('v1');
      expect(p.remove.map((r) => `${r.type.kind}/${r.name}@${r.uid}`)).toEqual([
        `ClusterRoleBinding/${rbac}@binding-uid`,
        `ClusterRole/${rbac}@role-uid`,
      ]);
      expect(p.held?.reason).toBe('NotAuthorized');
      expect(p.needsFinalizer).toBe(true);
      const oneShot = fullInput({ schedule: undefined });
      expect(
        applied(planFor(oneShot, none, { grant: notAuthorized })).some((a) => a.startsWith('Job/')),
      ).toBe(false);
    });

    it('writes the rules the authorization covers into the ClusterRole', () => {
      const recorded = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }];
      const p = planFor(fullInput(), withRunner, { grant: { ...granted(recorded), authorized: false } });
      const role = p.apply.find((a) => a.type.kind === 'ClusterRole')?.object as { rules: unknown };
      expect(role.rules).toEqual(recorded);
    });

    it('leaves cluster RBAC owned by another AgentJob alone and holds the run (NameConflict)', () => {
      const p = planFor(fullInput({ schedule: undefined }), none, {
        rbacOwner: 'AgentJob "fixer" in namespace "agents-pr"',
      });
      expect(applied(p).filter((a) => /Cluster|Job\//.test(a))).toEqual([]);
      expect(p.remove).toEqual([]);
      expect(p.held).toEqual({
        reason: 'NameConflict',
        message:
          'ClusterRole and ClusterRoleBinding "thurkube-agents-pr-fixer" belong to AgentJob "fixer" in namespace "agents-pr"; rename this AgentJob to run it with ClusterAccess "read-pods"',
      });
      expect(p.needsFinalizer).toBe(false);
    });

    it('stamps the runner uid on the pod template, and starts no run before the ServiceAccount exists', () => {
      const cron = planFor(fullInput()).apply.find((a) => a.type.kind === 'CronJob')?.object as {
        spec: { jobTemplate: { spec: { template: { metadata: { annotations?: Record<string, string> } } } } };
      };
      expect(cron.spec.jobTemplate.spec.template.metadata.annotations).toEqual({
        'thurkube.thurbeen.eu/runner-uid': 'sa-uid',
      });
      const first = planFor(fullInput({ schedule: undefined }), none);
      expect(applied(first).filter((a) => /^(Job|ServiceAccount)\//.test(a))).toEqual([
        'ServiceAccount/pr-fixer-runner',
      ]);
      expect(first.waitingForRunner).toBe(true);
      const scheduled = planFor(fullInput(), none, { runNow: 'v1' });
      expect(applied(scheduled).some((a) => /^(Cron)?Job\//.test(a))).toBe(false);
      expect(scheduled.handledRunNow).toBeUndefined();
    });
  });
});
