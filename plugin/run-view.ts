/**
 * One run as the plugin shows it: the controller's own record of it (controller/run-record.ts,
 * pure), made from its Job and pods while they exist, else the record status.runs kept; and the
 * controller's words for it (runMessage), so `run --wait`, `logs`, `why` and `history` say what
 * `kubectl get aj` and the events say.
 */
import { latestPod } from '../controller/pods.js';
import { observeRun, triggerOf } from '../controller/run-record.js';
import { runMessage } from '../controller/run-status.js';
import { withDuration } from '../controller/runs.js';
import { FINISHED_RESULTS, type Run } from '../shared/schemas/run.js';
import { humanDuration, secondsIso } from '../shared/time.js';
import type { AgentJob, Job, Pod } from './agentjobs.js';

export interface RunView {
  run: Run;
  /** The pod of its last attempt, while it exists. */
  pod?: string;
  finished: boolean;
}

/** The run of `job` now; `recorded` is its entry in status.runs, for what only the record knows. */
export function runView(aj: AgentJob, job: Job, pods: Pod[], recorded?: Run, now = new Date()): RunView {
  const observed = observeRun(job, pods, {
    trigger: recorded?.trigger ?? triggerOf(job, false),
    timeoutSeconds: aj.spec.timeoutSeconds,
    now: secondsIso(now) ?? now.toISOString(),
  });
  const run = withDuration({ ...observed, startTime: observed.startTime ?? recorded?.startTime });
  // Its container ended and the Job has not said so yet: still running for a moment, not "not
  // started" as the record has it until the Job's condition arrives.
  if (run.result === 'Pending' && run.exitCode !== undefined) run.result = 'Running';
  return { run, pod: latestPod(pods)?.metadata?.name, finished: FINISHED_RESULTS.includes(run.result) };
}

/** A run known only from status.runs (its Job is gone). */
export const recordedView = (run: Run): RunView => ({ run, finished: FINISHED_RESULTS.includes(run.result) });

/** One line for a person: `run N-now-3e23e failed: exit code 1 (Error): FATAL: ...`. */
export function describeRun(view: RunView, now = Date.now()): string {
  const { run } = view;
  const said = runMessage(run);
  if (said) return said;
  if (run.result === 'Running') {
    const since = Date.parse(run.startTime ?? '');
    const took = Number.isFinite(since) ? ` for ${humanDuration((now - since) / 1000)}` : '';
    return `run ${run.jobName} running${took}${view.pod ? ` (pod ${view.pod})` : ''}`;
  }
  return `run ${run.jobName} has not started${run.reason ? `: ${run.reason}` : ''}`;
}

/** `12 succeeded, 1 failed since it was created; last success 2026-12-01T21:06:41Z (12h ago)`. */
export function countsLine(aj: AgentJob, now = Date.now()): string {
  const s = aj.status ?? {};
  const last = s.lastSuccessfulTime
    ? `last success ${s.lastSuccessfulTime} (${humanDuration((now - Date.parse(s.lastSuccessfulTime)) / 1000)} ago)`
    : 'no success yet';
  return `${s.succeededRuns ?? 0} succeeded, ${s.failedRuns ?? 0} failed since it was created; ${last}`;
}
