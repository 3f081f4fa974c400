import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { render } from '../shared/render/children.js';
import { fullInput, minimalInput } from '../test/fixtures/render.js';
import { type ChildrenSeen, plan } from './plan.js';

const none: ChildrenSeen = { jobs: [] };
const planFor = (
  input = minimalInput(),
  seen: ChildrenSeen = none,
  extra: Partial<Parameters<typeof plan>[0]> = {},
) =>
  plan({ id: input.agentJob, spec: input.spec, refs: input.refs, rendered: render(input), seen, ...extra });
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
    const first = planFor(fullInput(), none, { runNow: 'v1' });
    expect(applied(first).filter((a) => a.startsWith('Job/'))).toEqual([
      expect.stringMatching(/^Job\/pr-fixer-now-[0-9a-f]{5}$/),
    ]);
    expect(first.handledRunNow).toBe('v1');
    const again = planFor(fullInput(), none, { runNow: 'v1', previous: { handledRunNow: 'v1' } });
    expect(applied(again).some((a) => a.startsWith('Job/'))).toBe(false);
    const suspended = planFor(fullInput({ suspend: true }), none, {
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
});
