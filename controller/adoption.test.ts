/**
 * Taking over the Rust original's run: pure, so each case is an input and an answer. The switch
 * itself, on a real control plane with the original's own objects, is test/integration/rust-switch.
 */
import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { legacyConfigHash, legacyJobName } from '../shared/render/legacy.js';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import { adoption } from './adoption.js';

const agentJson = '{\n  "prompt": "Fix the flaky test."\n}\n';
const uid = 'uid-1';
const ours = 'a1b2c3d4e5f60718';
const legacyName = legacyJobName('fixer', agentJson);

const job = (name: string, owner = uid): V1Job => ({
  metadata: {
    name,
    ownerReferences: [{ apiVersion: 'x', kind: 'AgentJob', name: 'fixer', uid: owner, controller: true }],
  },
});
const input = (jobs: V1Job[], previous?: AgentJobStatus) => ({
  agentJobName: 'fixer',
  uid,
  agentJson,
  configHash: ours,
  jobs,
  previous,
});

describe('adoption of the Rust original’s run', () => {
  it('takes nothing when only our own run is in sight', () => {
    expect(adoption(input([]))).toBeUndefined();
    expect(adoption(input([job(`fixer-${ours}`)]))).toBeUndefined();
    const ourStatus = {
      configHash: ours,
      phase: 'Running',
      runs: [{ jobName: `fixer-${ours}` }],
    } as AgentJobStatus;
    expect(adoption(input([job(`fixer-${ours}`)], ourStatus))).toBeUndefined();
  });

  it('adopts the original’s live Job of the same agent.json, not someone else’s', () => {
    expect(adoption(input([job(legacyName)]))).toEqual({ jobName: legacyName, live: true });
    expect(adoption(input([job(legacyName, 'another-uid')]))).toBeUndefined();
  });

  it('keeps a run it adopted before, live or gone', () => {
    const adopted = { configHash: ours, runs: [{ jobName: legacyName }] } as AgentJobStatus;
    expect(adoption(input([job(legacyName)], adopted))).toEqual({ jobName: legacyName, live: true });
    expect(adoption(input([], adopted))).toEqual({ jobName: legacyName, live: false });
  });

  it('records as Unknown a run the original started whose Job is gone, and starts nothing', () => {
    const original = {
      configHash: legacyConfigHash(agentJson),
      phase: 'Running',
      lastRunTime: '2026-12-01T10:00:00Z',
    } as AgentJobStatus;
    expect(adoption(input([], original))).toEqual({
      jobName: legacyName,
      live: false,
      record: expect.objectContaining({
        jobName: legacyName,
        result: 'Unknown',
        reason: 'RunUnderRustOperator',
        startTime: '2026-12-01T10:00:00Z',
      }),
    });
  });

  it('takes nothing after a real change: the original’s run was of another agent.json', () => {
    const original = { configHash: 'ffffffffffffffff', phase: 'Running' } as AgentJobStatus;
    expect(adoption(input([job('fixer-ffffffffffffffff')], original))).toBeUndefined();
  });
});
