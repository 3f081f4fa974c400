import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { render } from '../shared/render/children.js';
import type { ConcurrencyPolicy } from '../shared/schemas/run-policy.js';
import { minimalInput } from '../test/fixtures/render.js';
import { plan } from './plan.js';

const running: V1Job = { metadata: { name: 'summarize-29012345' }, status: { active: 1 } };
const finished: V1Job = {
  metadata: { name: 'summarize-29012285' },
  status: { conditions: [{ type: 'Complete', status: 'True' }] as never },
};

function runNow(policy: ConcurrencyPolicy, jobs: V1Job[], suspend = false) {
  const input = minimalInput({ schedule: '0 3 * * *', concurrencyPolicy: policy, suspend });
  return plan({
    id: input.agentJob,
    spec: input.spec,
    refs: input.refs,
    rendered: render(input),
    seen: { jobs },
    runNow: 'now-1',
  });
}
const startsRun = (p: ReturnType<typeof plan>) =>
  p.apply.some((a) => a.object.metadata?.name?.startsWith('summarize-now-'));

describe('run-now under the concurrency policy', () => {
  it('starts a run when none is in progress, whatever the policy', () => {
    for (const policy of ['Forbid', 'Allow', 'Replace'] as const) {
      const p = runNow(policy, [finished]);
      expect(startsRun(p), policy).toBe(true);
      expect(p.remove).toEqual([]);
      expect(p.handledRunNow).toBe('now-1');
    }
  });

  it('Forbid: skips it while a run is in progress, and says why', () => {
    const p = runNow('Forbid', [running, finished]);
    expect(startsRun(p)).toBe(false);
    expect(p.handledRunNow).toBe('now-1');
    expect([p.runNowSkipped, p.runNowSkippedWhy]).toEqual([
      'now-1',
      'a run is in progress (summarize-29012345) and concurrencyPolicy is Forbid',
    ]);
  });

  it('Allow: starts it beside the run in progress', () => {
    const p = runNow('Allow', [running]);
    expect(startsRun(p)).toBe(true);
    expect(p.remove).toEqual([]);
  });

  it('Replace: stops the run in progress and starts it', () => {
    const p = runNow('Replace', [running, finished]);
    expect(startsRun(p)).toBe(true);
    expect(p.remove.map((r) => [r.name, r.why])).toEqual([
      ['summarize-29012345', 'replaced by a run-now run (concurrencyPolicy Replace)'],
    ]);
  });

  it('suspended: records the value and starts nothing', () => {
    const p = runNow('Allow', [], true);
    expect(startsRun(p)).toBe(false);
    expect(p.runNowSkippedWhy).toBe('the AgentJob is suspended');
  });
});
