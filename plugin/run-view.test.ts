import { describe, expect, it } from 'vitest';
import type { AgentJob, Job, Pod } from './agentjobs.js';
import { describeRun, recordedView, runView } from './run-view.js';

const aj = {
  metadata: { name: 'pr-fixer', namespace: 'agents', uid: 'u' },
  spec: { timeoutSeconds: 3600 },
} as AgentJob;
const start = '2026-12-02T03:00:00Z';
// As the API server sends them: timestamps are strings (client-node's types say Date).
const job = (status: Record<string, unknown> = {}) =>
  ({ metadata: { name: 'pr-fixer-now-3e23e' }, spec: { template: {} }, status }) as unknown as Job;
const pod = (state: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({
    metadata: { name: 'pr-fixer-now-3e23e-x7k2q', creationTimestamp: start },
    spec: { containers: [{ name: 'agent' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'agent', state }], ...extra },
  }) as unknown as Pod;

describe('a run, in the controller’s words', () => {
  it('succeeded, with the time it took', () => {
    const view = runView(
      aj,
      job({
        startTime: start,
        completionTime: '2026-12-02T03:04:12Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      }),
      [pod({ terminated: { exitCode: 0, reason: 'Completed' } })],
    );
    expect(view).toMatchObject({ finished: true, pod: 'pr-fixer-now-3e23e-x7k2q' });
    expect(describeRun(view)).toBe('run pr-fixer-now-3e23e succeeded in 4m12s');
  });

  it('failed, with the exit code and the last line the agent printed', () => {
    const view = runView(
      aj,
      job({
        startTime: start,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            lastTransitionTime: '2026-12-02T03:00:07Z',
          },
        ],
      }),
      [
        pod({
          terminated: {
            exitCode: 1,
            reason: 'Error',
            message: 'starting\nFATAL: Missing required env var: GH_TOKEN\n',
          },
        }),
      ],
    );
    expect(describeRun(view)).toBe(
      'run pr-fixer-now-3e23e failed: exit code 1 (Error): FATAL: Missing required env var: GH_TOKEN',
    );
  });

  it('running, for how long, in which pod', () => {
    const view = runView(aj, job({ startTime: start, active: 1 }), [pod({ running: {} })]);
    expect(view.finished).toBe(false);
    expect(describeRun(view, Date.parse('2026-12-02T03:01:05Z'))).toBe(
      'run pr-fixer-now-3e23e running for 1m5s (pod pr-fixer-now-3e23e-x7k2q)',
    );
  });

  it('not started, and why when something stands in the way', () => {
    expect(describeRun(runView(aj, job(), []))).toBe('run pr-fixer-now-3e23e has not started');
    const pulling = runView(aj, job({ active: 1 }), [
      pod(
        { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/x/agent:1"' } },
        { phase: 'Pending' },
      ),
    ]);
    expect(describeRun(pulling)).toBe(
      'run pr-fixer-now-3e23e has not started: ImagePullBackOff: Back-off pulling image "ghcr.io/x/agent:1"',
    );
  });

  it('kept by status.runs after its Job is gone', () => {
    const view = recordedView({ jobName: 'pr-fixer-29012345', result: 'Unknown', reason: 'JobGone' });
    expect(view.finished).toBe(true);
    expect(describeRun(view)).toBe('run pr-fixer-29012345 ended where thurkube could not see how');
  });
});

describe('a run whose container ended before its Job says so', () => {
  it('is still running, not "not started"', () => {
    const ended = pod({ terminated: { exitCode: 0, reason: 'Completed' } }, { phase: 'Succeeded' });
    const view = runView(aj, job({ startTime: start, active: 1 }), [ended]);
    expect([view.run.result, view.finished]).toEqual(['Running', false]);
  });
});
