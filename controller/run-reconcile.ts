/**
 * The run history's part of a reconcile: the Jobs and pods the caches hold in, the history and the
 * status fields out (runs.ts, run-status.ts, both pure).
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { AgentJobSpec, AgentJobStatus } from '../shared/schemas/agent-job.js';
import type { Run } from '../shared/schemas/run.js';
import type { ControllerContext } from './context.js';
import type { Removal } from './plan.js';
import { BY_JOB } from './pods.js';
import { withRuns } from './run-status.js';
import { type RunHistory, recordRuns } from './runs.js';

/** The status fields only the run history writes: carried over by a status that did not look at runs. */
const RUN_FIELDS = [
  'runs',
  'recentRuns',
  'succeededRuns',
  'failedRuns',
  'lastSuccessfulTime',
  'runCounts',
] as const;

export function keepRunFields(previous: AgentJobStatus | undefined, status: AgentJobStatus): AgentJobStatus {
  if (!previous || status.runs !== undefined) return status;
  const out: AgentJobStatus = { ...status };
  for (const key of RUN_FIELDS)
    if (previous[key] !== undefined) (out as Record<string, unknown>)[key] = previous[key];
  return out;
}

/** Why this reconcile deletes a Job, as a run's Stopped reason. */
export function stopReason(why: string): { reason: string; message: string } {
  const reason = why.startsWith('superseded')
    ? 'Superseded'
    : why.includes('suspended')
      ? 'Suspended'
      : why.includes('Replace')
        ? 'Replaced'
        : 'Stopped';
  return { reason, message: `stopped: ${why}` };
}

export interface RunObservation {
  previous: AgentJobStatus | undefined;
  spec: AgentJobSpec;
  jobs: readonly V1Job[];
  removed: readonly Removal[];
  currentJobName?: string;
  /** A run of the Rust original to record, whose Job is gone (adoption.ts). */
  adoptedRun?: Run;
  generation: number;
  now: string;
}

export function observeRuns(
  ctx: ControllerContext,
  status: AgentJobStatus,
  o: RunObservation,
): { status: AgentJobStatus; history: RunHistory } {
  const podsOf = (job: V1Job) =>
    ctx.caches.pods.byIndex(BY_JOB, `${job.metadata?.namespace}/${job.metadata?.name}`) as V1Pod[];
  const stopping = new Map(
    o.removed.filter((r) => r.type.kind === 'Job').map((r) => [r.name, stopReason(r.why)] as const),
  );
  const recorded = o.previous?.runs ?? [];
  const previous =
    o.adoptedRun && !recorded.some((r) => r.jobName === o.adoptedRun?.jobName)
      ? { ...o.previous, runs: [o.adoptedRun, ...recorded] }
      : o.previous;
  const history = recordRuns({
    previous,
    jobs: o.jobs,
    podsOf,
    stopping,
    timeoutSeconds: o.spec.timeoutSeconds,
    concurrencyPolicy: o.spec.concurrencyPolicy,
    limit: ctx.runHistory,
    now: o.now,
  });
  const view = {
    scheduled: o.spec.schedule !== undefined,
    currentJobName: o.currentJobName,
    generation: o.generation,
    now: o.now,
  };
  return { status: withRuns(status, history, view), history };
}
