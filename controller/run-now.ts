/**
 * What a new run-now value does under the AgentJob's concurrencyPolicy, as the CronJob treats a
 * run that is due while another is in progress: Forbid skips it (and says so), Allow starts it
 * beside the others, Replace stops them and starts it. Pure.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { ConcurrencyPolicy } from '../shared/schemas/run-policy.js';

export type RunNowDecision =
  | { start: true; stop: V1Job[]; why?: string }
  | { start: false; stop: []; why: string };

export function decideRunNow(
  policy: ConcurrencyPolicy,
  active: readonly V1Job[],
  paused?: string,
): RunNowDecision {
  if (paused) return { start: false, stop: [], why: paused };
  if (active.length === 0 || policy === 'Allow') return { start: true, stop: [] };
  const names = active.map((j) => j.metadata?.name).join(', ');
  if (policy === 'Forbid')
    return {
      start: false,
      stop: [],
      why: `a run is in progress (${names}) and concurrencyPolicy is Forbid`,
    };
  return { start: true, stop: [...active], why: 'replaced by a run-now run (concurrencyPolicy Replace)' };
}
