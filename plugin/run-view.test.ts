import { describe, expect, it } from 'vitest';
import type { Job, Pod } from './agentjobs.js';
import { describeRun, humanDuration, runView } from './run-view.js';

// As the API server sends them: timestamps are strings (client-node's types say Date).
const job = (status: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) =>
  ({ metadata: { name: 'pr-fixer-now-3e23e' }, spec: { template: {}, ...spec }, status }) as unknown as Job;
/** A Job whose Failed condition says `reason` at `at`. */
const failedJob = (reason: string, at: string, message?: string) =>
  job({
    startTime: start,
    conditions: [{ type: 'Failed', status: 'True', reason, message, lastTransitionTime: at }],
  });
const pod = (
  state: NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number]['state'],
  extra = {},
): Pod => ({
  metadata: { name: 'pr-fixer-now-3e23e-x7k2q' },
  status: {
    phase: 'Running',
    containerStatuses: [{ name: 'agent', image: 'i', imageID: '', ready: false, restartCount: 0, state }],
    ...extra,
  },
});
const start = '2026-12-02T03:00:00Z';

describe('a run, as kubectl thurkube says it', () => {
  it('is pending with the kubelet’s reason while its container waits', () => {
    const view = runView(job({ startTime: start }), [
      pod({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/x/agent:1"' } }),
    ]);
    expect(describeRun(view)).toBe(
      'run pr-fixer-now-3e23e has not started: ImagePullBackOff: Back-off pulling image "ghcr.io/x/agent:1"',
    );
  });

  it('is pending with the scheduler’s reason when no node takes its pod', () => {
    const unscheduled: Pod = {
      metadata: { name: 'p' },
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/2 nodes are available: 2 Insufficient memory.',
          },
        ],
      },
    };
    expect(describeRun(runView(job(), [unscheduled]))).toBe(
      'run pr-fixer-now-3e23e has not started: Unschedulable: 0/2 nodes are available: 2 Insufficient memory.',
    );
    expect(describeRun(runView(job(), []))).toBe('run pr-fixer-now-3e23e has not started');
  });

  it('runs until its Job says it ended, even when the container has', () => {
    const ended = pod({ terminated: { exitCode: 0, reason: 'Completed' } });
    expect(runView(job({ startTime: start }), [ended])).toMatchObject({ result: 'Running', finished: false });
  });

  it('succeeds in the time its Job took', () => {
    const view = runView(
      job({
        startTime: start,
        completionTime: '2026-12-02T03:04:12Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      }),
      [pod({ terminated: { exitCode: 0, reason: 'Completed' } })],
    );
    expect(view).toMatchObject({ result: 'Succeeded', finished: true, exitCode: 0 });
    expect(describeRun(view)).toBe('run pr-fixer-now-3e23e succeeded in 4m12s');
  });

  it('fails with the agent’s exit code and the last line of its termination message', () => {
    const view = runView(failedJob('BackoffLimitExceeded', '2026-12-02T03:00:07Z'), [
      pod({
        terminated: {
          exitCode: 1,
          reason: 'Error',
          message: 'starting\nFATAL: Missing required env var: GH_TOKEN\n',
        },
      }),
    ]);
    expect(describeRun(view)).toBe(
      'run pr-fixer-now-3e23e failed after 7s: exit code 1 (Error): FATAL: Missing required env var: GH_TOKEN',
    );
  });

  it('fails with the Job’s reason when the Job stopped it (timeoutSeconds)', () => {
    const view = runView(
      failedJob('DeadlineExceeded', '2026-12-02T04:00:00Z', 'Job was active longer than specified deadline'),
      [pod({ running: {} })],
    );
    expect(describeRun(view)).toBe(
      'run pr-fixer-now-3e23e failed after 1h: DeadlineExceeded: Job was active longer than specified deadline',
    );
  });

  it('is stopped while its AgentJob is suspended', () => {
    expect(describeRun(runView(job({}, { suspend: true }), []))).toBe(
      'run pr-fixer-now-3e23e stopped: Suspended: its AgentJob is suspended',
    );
  });
});

describe('durations', () => {
  it('have two units at most, like kubectl’s columns', () => {
    expect([45, 252, 7380, 273600, 3600].map(humanDuration)).toEqual(['45s', '4m12s', '2h3m', '3d4h', '1h']);
  });
});
