/**
 * What the run history adds to an AgentJob's status; pure. The fields (runs, counters,
 * lastSuccessfulTime), the condition LastRunSucceeded, and a message that says why the current run
 * failed or has not started, in place of the Job's own words (`BackoffLimitExceeded` says nothing
 * about the agent).
 */
import type { AgentJobStatus, Condition } from '../shared/schemas/agent-job.js';
import type { Run } from '../shared/schemas/run.js';
import { setCondition } from './conditions.js';
import type { RunHistory } from './runs.js';

export const LAST_RUN_CONDITION = 'LastRunSucceeded';

export interface RunView {
  scheduled: boolean;
  /** One-shot: the Job of the current spec; the message speaks of it only. */
  currentJobName?: string;
  generation: number;
  now: string;
}

/** `run pr-fixer-29012345 failed: exit code 1 (Error): FATAL: ...` and the like. */
export function runMessage(run: Run): string | undefined {
  const name = `run ${run.jobName}`;
  switch (run.result) {
    case 'Failed':
      return `${name} failed: ${run.message ?? run.reason ?? 'the Job failed'}`;
    case 'Succeeded':
      return `${name} succeeded${run.duration ? ` in ${run.duration}` : ''}${run.message ? `: ${run.message}` : ''}`;
    case 'Pending':
      return run.message ? `${name} has not started: ${run.message}` : undefined;
    case 'Stopped':
      return `${name} ${run.message ?? 'stopped'}`;
    case 'Unknown':
      return `${name} ${run.message ?? 'ended where thurkube could not see how'}`;
    default:
      return undefined;
  }
}

/**
 * One run on one line, for `kubectl describe` (whose listing of status.runs sorts each run's
 * fields by name, so runs are hard to tell apart):
 * `2026-12-01T21:53:38Z  Schedule  Failed after 4m12s  pr-fixer-29012345: exit code 1 (Error): ...`
 */
export function runLine(run: Run): string {
  const took = run.duration
    ? `${run.result === 'Succeeded' ? 'in' : 'after'} ${run.duration}`
    : run.result === 'Running'
      ? 'since then'
      : '';
  const outcome = `${run.result} ${took}`.trim();
  const start = (run.startTime ?? 'not started yet').padEnd(20);
  const why = run.message ? `: ${run.message}` : '';
  return `${start}  ${(run.trigger ?? '').padEnd(10)}${outcome.padEnd(22)}${run.jobName}${why}`;
}

function condition(run: Run, generation: number): Condition {
  const base = { type: LAST_RUN_CONDITION, observedGeneration: generation };
  const message = runMessage(run) ?? `run ${run.jobName} is ${run.result.toLowerCase()}`;
  if (run.result === 'Succeeded') return { ...base, status: 'True', reason: 'Succeeded', message };
  if (run.result === 'Failed') return { ...base, status: 'False', reason: run.reason ?? 'Failed', message };
  return { ...base, status: 'Unknown', reason: run.reason ?? run.result, message };
}

/** The one-shot message and phase, from the run of the current Job. */
function oneShotView(status: AgentJobStatus, run: Run): Pick<AgentJobStatus, 'phase' | 'message'> {
  if (status.phase === 'Suspended') return {};
  const message = runMessage(run);
  if (run.result === 'Pending' && run.reason) return { phase: 'Pending', message };
  if (run.result === 'Failed' || run.result === 'Succeeded') return { message };
  if (run.result === 'Unknown') return { phase: 'Unknown', message };
  return {};
}

/** Scheduled: a waiting next run says how the last one ended, or why the current one is stuck. */
function scheduledView(status: AgentJobStatus, run: Run): Pick<AgentJobStatus, 'message'> {
  if (status.phase === 'Scheduled' && run.result === 'Failed')
    return { message: `last ${runMessage(run)}; ${status.message}` };
  if (status.phase === 'Running' && run.result === 'Pending' && run.message)
    return { message: runMessage(run) };
  return {};
}

export function withRuns(status: AgentJobStatus, history: RunHistory, view: RunView): AgentJobStatus {
  if (history.runs.length === 0 && history.succeededRuns === 0 && history.failedRuns === 0) return status;
  const out: AgentJobStatus = {
    ...status,
    runs: history.runs,
    recentRuns: history.runs.map(runLine),
    succeededRuns: history.succeededRuns,
    failedRuns: history.failedRuns,
    runCounts: `${history.succeededRuns} ok, ${history.failedRuns} failed`,
  };
  if (history.lastSuccessfulTime) out.lastSuccessfulTime = history.lastSuccessfulTime;
  const newest = history.runs[0];
  // Only a healthy AgentJob speaks of its runs: a refused child or a missing reference says more.
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (!newest || !ready) return out;
  out.conditions = setCondition(status.conditions ?? [], condition(newest, view.generation), view.now);
  if (view.scheduled) return { ...out, ...scheduledView(status, newest) };
  const current = history.runs.find((r) => r.jobName === view.currentJobName);
  return current ? { ...out, ...oneShotView(status, current) } : out;
}
