import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { computeStatus, type Observation } from './status.js';

const NOW = '2026-11-24T10:00:00.000Z';
const base: Observation = {
  generation: 3,
  previous: undefined,
  scheduled: false,
  suspended: false,
  configHash: 'abcdef0123456789',
  ownedResources: [{ kind: 'ConfigMap', name: 'a-config' }],
  now: NOW,
};

const job = (status: V1Job['status']): V1Job => ({ metadata: { name: 'a-abcdef0123456789' }, status });
const complete = { type: 'Complete', status: 'True' };
const failed = {
  type: 'Failed',
  status: 'True',
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
};

describe('phase mapping', () => {
  const table: [string, Partial<Observation>, string, string][] = [
    ['Job not created yet', {}, 'Pending', 'the Job is being created'],
    ['Job created, no pod active', { job: job({}) }, 'Pending', 'Job a-abcdef0123456789 has not started yet'],
    [
      'Job with an active pod',
      { job: job({ active: 1, startTime: new Date(NOW) }) },
      'Running',
      'Job a-abcdef0123456789 is running',
    ],
    [
      'Job Complete',
      { job: job({ conditions: [complete] as never }) },
      'Succeeded',
      'Job a-abcdef0123456789 succeeded',
    ],
    [
      'Job Failed',
      { job: job({ conditions: [failed] as never }) },
      'Failed',
      'Job a-abcdef0123456789 failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    ],
    [
      'one-shot suspended',
      { suspended: true, job: job({}) },
      'Suspended',
      'suspended; Job a-abcdef0123456789 is paused',
    ],
    [
      'CronJob idle',
      { scheduled: true, cronJob: {} as V1CronJob, nextRunTime: '2026-11-24T12:00:00.000Z' },
      'Scheduled',
      'next run at 2026-11-24T12:00:00.000Z',
    ],
    [
      'CronJob with an active Job',
      { scheduled: true, cronJob: { status: { active: [{ name: 'x' }] } } as V1CronJob },
      'Running',
      '1 run in progress',
    ],
    [
      'CronJob suspended',
      { scheduled: true, suspended: true, cronJob: {} as V1CronJob },
      'Suspended',
      'suspended; no runs start',
    ],
    [
      'references missing',
      {
        refsProblem: {
          reason: 'RefsMissing',
          message: 'waiting for references: spec.roleRef: AgentRole "x" not found',
        },
      },
      'Pending',
      'waiting for references: spec.roleRef: AgentRole "x" not found',
    ],
  ];
  for (const [what, obs, phase, message] of table) {
    it(`${what} -> ${phase}`, () => {
      const s = computeStatus({ ...base, ...obs });
      expect([s.phase, s.message]).toEqual([phase, message]);
      expect(s.observedGeneration).toBe(3);
    });
  }

  it('keeps the outcome of a finished run whose Job was cleaned up, for the same configHash', () => {
    const previous = {
      phase: 'Succeeded' as const,
      message: 'Job a-x succeeded',
      configHash: base.configHash,
      lastCompletionTime: NOW,
    };
    expect(computeStatus({ ...base, previous }).phase).toBe('Succeeded');
    expect(computeStatus({ ...base, previous, configHash: '1111111111111111' }).phase).toBe('Pending');
  });
});

describe('conditions', () => {
  it('sets Ready and RefsResolved, with observedGeneration and a transition time', () => {
    const s = computeStatus({ ...base, job: job({}) });
    expect(
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration, c.lastTransitionTime]),
    ).toEqual([
      ['Ready', 'True', 'ChildrenReady', 3, NOW],
      ['RefsResolved', 'True', 'Resolved', 3, NOW],
    ]);
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const first = computeStatus({ ...base, job: job({}) });
    const later = computeStatus({
      ...base,
      job: job({ active: 1 }),
      previous: first,
      now: '2026-11-24T11:00:00.000Z',
    });
    expect(later.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(NOW);
    const broken = computeStatus({
      ...base,
      previous: later,
      now: '2026-11-24T12:00:00.000Z',
      refsProblem: { reason: 'RefsMissing', message: 'm' },
    });
    expect(broken.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'RefsMissing',
      lastTransitionTime: '2026-11-24T12:00:00.000Z',
    });
  });

  it('reports a child the API server refused as Ready=False, ChildRejected', () => {
    const s = computeStatus({
      ...base,
      applyError: { reason: 'ChildRejected', message: 'Job.batch "a" is invalid: ...' },
    });
    expect(s.phase).toBe('Pending');
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ChildRejected',
    });
  });

  it('writes nextRunTime only for a scheduled AgentJob that is not suspended', () => {
    const next = '2026-11-24T12:00:00.000Z';
    expect(
      computeStatus({ ...base, scheduled: true, cronJob: {} as V1CronJob, nextRunTime: next }).nextRunTime,
    ).toBe(next);
    expect(
      computeStatus({ ...base, scheduled: true, suspended: true, nextRunTime: next }).nextRunTime,
    ).toBeUndefined();
  });
});
