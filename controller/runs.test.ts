import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import { observeRun } from './run-record.js';
import { runMessage, withRuns } from './run-status.js';
import { type RunsInput, recordRuns } from './runs.js';

const NOW = '2026-12-01T22:00:00Z';
const T0 = '2026-12-01T21:50:00Z';
const T1 = '2026-12-01T21:53:38Z';

const job = (name: string, status: V1Job['status'] = {}, extra: Partial<V1Job> = {}): V1Job =>
  ({
    metadata: { name, namespace: 'agents', creationTimestamp: T0 as never },
    spec: { template: {} },
    status,
    ...extra,
  }) as V1Job;
const complete = { type: 'Complete', status: 'True', lastTransitionTime: T1 };
const failedBy = (reason: string) => ({
  type: 'Failed',
  status: 'True',
  reason,
  message: 'Job failed',
  lastTransitionTime: T1,
});
const pod = (state: object, limits?: Record<string, string>, extra: Partial<V1Pod['status']> = {}): V1Pod =>
  ({
    metadata: { name: 'p', creationTimestamp: T0 as never },
    spec: { containers: [{ name: 'agent', resources: { limits } }] },
    status: { phase: 'Failed', containerStatuses: [{ name: 'agent', state }], ...extra },
  }) as V1Pod;
const ctx = { trigger: 'Create' as const, timeoutSeconds: 1800, now: NOW };

describe('one run, read from its Job and pods', () => {
  it('a failed container: exit code, reason and its last log line', () => {
    const run = observeRun(
      job('a-1', {
        startTime: T0 as never,
        failed: 1,
        conditions: [failedBy('BackoffLimitExceeded')] as never,
      }),
      [
        pod({
          terminated: {
            exitCode: 1,
            reason: 'Error',
            message: 'step 1\nFATAL: Missing required env var: X\n',
          },
        }),
      ],
      ctx,
    );
    expect(run).toEqual({
      jobName: 'a-1',
      trigger: 'Create',
      result: 'Failed',
      startTime: T0,
      completionTime: T1,
      exitCode: 1,
      reason: 'Error',
      message: 'exit code 1 (Error): FATAL: Missing required env var: X',
    });
    expect(runMessage({ ...run, duration: '3m38s' })).toBe(
      'run a-1 failed: exit code 1 (Error): FATAL: Missing required env var: X',
    );
  });

  it('OOMKilled names the memory limit, or that there was none', () => {
    const failed = job('a-1', { failed: 1, conditions: [failedBy('BackoffLimitExceeded')] as never });
    const oom = { terminated: { exitCode: 137, reason: 'OOMKilled' } };
    expect(observeRun(failed, [pod(oom, { memory: '4Gi' })], ctx).message).toBe(
      'exit code 137 (OOMKilled): the agent used more than its memory limit of 4Gi (spec.resources.limits.memory)',
    );
    expect(observeRun(failed, [pod(oom)], ctx).message).toContain('no memory limit set');
  });

  it('a run stopped by timeoutSeconds says so, and why when the agent never started', () => {
    const late = job('a-1', { failed: 1, conditions: [failedBy('DeadlineExceeded')] as never });
    expect(observeRun(late, [], ctx)).toMatchObject({
      result: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'stopped after timeoutSeconds (1800 s)',
    });
    const pulling = pod(
      { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
      undefined,
      {
        phase: 'Pending',
      },
    );
    expect(observeRun(late, [pulling], ctx).message).toBe(
      'stopped after timeoutSeconds (1800 s); the agent had not started: ImagePullBackOff: Back-off pulling image "x"',
    );
  });

  it('a pod that has not started: its waiting reason, or why it is not scheduled', () => {
    const active = job('a-1', { active: 1, startTime: T0 as never });
    const secret = pod(
      {
        waiting: {
          reason: 'CreateContainerConfigError',
          message: "couldn't find key token in Secret agents/auth",
        },
      },
      undefined,
      { phase: 'Pending' },
    );
    expect(observeRun(active, [secret], ctx)).toMatchObject({
      result: 'Pending',
      reason: 'CreateContainerConfigError',
      message: "CreateContainerConfigError: couldn't find key token in Secret agents/auth",
    });
    const unscheduled = pod({}, undefined, {
      phase: 'Pending',
      containerStatuses: undefined,
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: 'pod has unbound immediate PersistentVolumeClaims',
        },
      ] as never,
    });
    expect(observeRun(active, [unscheduled], ctx)).toMatchObject({
      result: 'Pending',
      reason: 'Unschedulable',
      message: 'not scheduled: pod has unbound immediate PersistentVolumeClaims',
    });
    const creating = pod({ waiting: { reason: 'ContainerCreating' } }, undefined, { phase: 'Pending' });
    expect(observeRun(active, [creating], ctx)).toEqual({
      jobName: 'a-1',
      trigger: 'Create',
      result: 'Pending',
      startTime: T0,
    });
  });

  it('a Job its controller picked up but that has no pod (held back by a quota) has no start time', () => {
    expect(observeRun(job('a-1', { startTime: T0 as never }), [], ctx)).toEqual({
      jobName: 'a-1',
      trigger: 'Create',
      result: 'Pending',
    });
  });

  it('a run this reconcile stops, or whose Job is suspended, is Stopped with why', () => {
    const running = job('a-1', { active: 1, startTime: T0 as never });
    const stopping = { reason: 'Superseded', message: 'stopped: superseded by Job a-2' };
    expect(observeRun(running, [], { ...ctx, stopping })).toMatchObject({
      result: 'Stopped',
      ...stopping,
      completionTime: NOW,
    });
    const suspended = job(
      'a-1',
      { startTime: T0 as never, failed: 0 },
      { spec: { suspend: true, template: {} } },
    );
    expect(
      observeRun(suspended, [pod({ terminated: { exitCode: 137, reason: 'Error' } })], ctx),
    ).toMatchObject({
      result: 'Stopped',
      reason: 'Suspended',
    });
  });
});

describe('the history', () => {
  const input = (over: Partial<RunsInput>): RunsInput => ({
    previous: undefined,
    jobs: [],
    podsOf: () => [],
    stopping: new Map(),
    timeoutSeconds: 60,
    concurrencyPolicy: 'Forbid',
    limit: 10,
    now: NOW,
    ...over,
  });
  const cron = (name: string, created: string, status: V1Job['status']) =>
    ({
      ...job(name, status),
      metadata: {
        name,
        creationTimestamp: created as never,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'n', uid: 'u' }],
      },
    }) as V1Job;

  it('lists runs newest first, names what started them, and counts each ending once', () => {
    const jobs = [
      cron('n-1', '2026-12-01T20:00:00Z', {
        startTime: '2026-12-01T20:00:00Z' as never,
        succeeded: 1,
        conditions: [complete] as never,
      }),
      cron('n-2', '2026-12-01T21:00:00Z', { startTime: '2026-12-01T21:00:00Z' as never, active: 1 }),
    ];
    const first = recordRuns(
      input({
        jobs,
        podsOf: (j) =>
          j.metadata?.name === 'n-2' ? [pod({ running: {} }, undefined, { phase: 'Running' })] : [],
      }),
    );
    expect(first.runs.map((r) => [r.jobName, r.trigger, r.result])).toEqual([
      ['n-2', 'Schedule', 'Running'],
      ['n-1', 'Schedule', 'Succeeded'],
    ]);
    expect([first.succeededRuns, first.failedRuns]).toEqual([1, 0]);
    const previous: AgentJobStatus = { runs: first.runs, succeededRuns: 1, failedRuns: 0 };
    // n-1 was removed by the CronJob's history limit; n-2 failed.
    const done = cron('n-2', '2026-12-01T21:00:00Z', {
      startTime: '2026-12-01T21:00:00Z' as never,
      failed: 1,
      conditions: [failedBy('BackoffLimitExceeded')] as never,
    });
    const second = recordRuns(input({ previous, jobs: [done] }));
    expect(second.runs.map((r) => [r.jobName, r.result])).toEqual([
      ['n-2', 'Failed'],
      ['n-1', 'Succeeded'],
    ]);
    expect([second.succeededRuns, second.failedRuns]).toEqual([1, 1]);
    expect(second.changes.map((c) => c.run.jobName)).toEqual(['n-2']);
    // The same observation again changes nothing and counts nothing.
    const third = recordRuns(
      input({ previous: { ...previous, runs: second.runs, failedRuns: 1 }, jobs: [done] }),
    );
    expect(third.changes).toEqual([]);
    expect(third.failedRuns).toBe(1);
  });

  it('keeps at most the limit, a duration for finished runs, and the last success', () => {
    const jobs = Array.from({ length: 4 }, (_, i) =>
      cron(`n-${i}`, `2026-12-01T2${i}:00:00Z`, {
        startTime: `2026-12-01T2${i}:00:00Z` as never,
        completionTime: `2026-12-01T2${i}:04:12Z` as never,
        succeeded: 1,
        conditions: [complete] as never,
      }),
    );
    const h = recordRuns(input({ jobs, limit: 3 }));
    expect(h.runs.map((r) => r.jobName)).toEqual(['n-3', 'n-2', 'n-1']);
    expect(h.runs[0]?.duration).toBe('4m12s');
    expect(h.succeededRuns).toBe(4);
    expect(h.lastSuccessfulTime).toBe('2026-12-01T23:04:12Z');
  });

  it('a run whose Job disappeared before it finished is Stopped; a one-shot re-run is a SpecChange', () => {
    const previous: AgentJobStatus = {
      runs: [{ jobName: 'a-1', trigger: 'Create', result: 'Running', startTime: T0 }],
    };
    const h = recordRuns(input({ previous, jobs: [job('a-2')] }));
    expect(h.runs.map((r) => [r.jobName, r.trigger, r.result, r.reason])).toEqual([
      ['a-2', 'SpecChange', 'Pending', undefined],
      ['a-1', 'Create', 'Stopped', 'JobDeleted'],
    ]);
  });

  it('a run this reconcile deleted keeps our reason even when its Job already left the cache', () => {
    const previous: AgentJobStatus = {
      runs: [{ jobName: 'n-2', trigger: 'Schedule', result: 'Running', startTime: T0 }],
    };
    const why = {
      reason: 'Replaced',
      message: 'stopped: replaced by a run-now run (concurrencyPolicy Replace)',
    };
    const h = recordRuns(
      input({ previous, jobs: [], stopping: new Map([['n-2', why]]), concurrencyPolicy: 'Replace' }),
    );
    expect(h.runs[0]).toMatchObject({ result: 'Stopped', ...why, completionTime: NOW });
  });
});

describe('the status it gives', () => {
  const ready = {
    phase: 'Failed' as const,
    message: 'Job a-1 failed: BackoffLimitExceeded',
    conditions: [{ type: 'Ready', status: 'True' as const }],
  };
  const failed = {
    jobName: 'a-1',
    result: 'Failed' as const,
    reason: 'Error',
    message: 'exit code 1 (Error): boom',
  };
  const history = { runs: [failed], succeededRuns: 0, failedRuns: 1, changes: [] };

  it('says why the current run failed, in the message and the LastRunSucceeded condition', () => {
    const s = withRuns(ready, history, { scheduled: false, currentJobName: 'a-1', generation: 2, now: NOW });
    expect(s.message).toBe('run a-1 failed: exit code 1 (Error): boom');
    expect(s.conditions?.find((c) => c.type === 'LastRunSucceeded')).toMatchObject({
      status: 'False',
      reason: 'Error',
      observedGeneration: 2,
      lastTransitionTime: NOW,
    });
    expect(s.runCounts).toBe('0 ok, 1 failed');
  });

  it('a waiting schedule tells how the last run ended', () => {
    const s = withRuns(
      { phase: 'Scheduled', message: 'next run at 2026-12-02T03:00:00Z', conditions: ready.conditions },
      history,
      { scheduled: true, generation: 1, now: NOW },
    );
    expect(s.message).toBe(
      'last run a-1 failed: exit code 1 (Error): boom; next run at 2026-12-02T03:00:00Z',
    );
  });

  it('leaves the message of an AgentJob that is not ready: a refused child or a missing reference says more', () => {
    const notReady = {
      ...ready,
      message: 'waiting for references',
      conditions: [{ type: 'Ready', status: 'False' as const }],
    };
    expect(
      withRuns(notReady, history, { scheduled: false, currentJobName: 'a-1', generation: 1, now: NOW })
        .message,
    ).toBe('waiting for references');
  });
});
