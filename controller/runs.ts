/**
 * status.runs: the history of an AgentJob's runs, newest first, merged from what the previous
 * status recorded and the Jobs the caches hold; pure. A run keeps its record after its Job is
 * removed (ttlSecondsAfterFinished, the CronJob's history limit), a finished run never changes
 * again, and the counters only ever grow.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import { FINISHED_RESULTS, type Run } from '../shared/schemas/run.js';
import type { ConcurrencyPolicy } from '../shared/schemas/run-policy.js';
import { humanDuration, secondsIso } from '../shared/time.js';
import { observeRun, triggerOf } from './run-record.js';

export interface RunsInput {
  previous: AgentJobStatus | undefined;
  /** Every Job of this AgentJob the cache holds. */
  jobs: readonly V1Job[];
  podsOf: (job: V1Job) => V1Pod[];
  /** Jobs this reconcile deletes, and why (a newer run, suspend, concurrencyPolicy Replace). */
  stopping: ReadonlyMap<string, { reason: string; message: string }>;
  timeoutSeconds: number;
  /** Under Replace, the CronJob itself deletes a scheduled run that is still going when the next is due. */
  concurrencyPolicy: ConcurrencyPolicy;
  /** How many runs status.runs keeps. */
  limit: number;
  now: string;
}

export interface RunChange {
  run: Run;
  /** The record before this reconcile; absent for a run seen for the first time. */
  before?: Run;
}

export interface RunHistory {
  runs: Run[];
  succeededRuns: number;
  failedRuns: number;
  lastSuccessfulTime?: string;
  /** Runs whose record changed: what events and metrics report. */
  changes: RunChange[];
}

const isFinal = (run: Run | undefined) => run?.result === 'Succeeded' || run?.result === 'Failed';
const created = (job: V1Job) => Date.parse(String(job.metadata?.creationTimestamp ?? '')) || 0;

/** The newer observation, keeping what only the older one still knows (pods go before their Job). */
function merged(before: Run | undefined, run: Run): Run {
  if (!before) return withDuration(run);
  const out: Run = { ...run, trigger: before.trigger ?? run.trigger };
  for (const key of ['startTime', 'exitCode', 'outputs'] as const) {
    if (run[key] === undefined && before[key] !== undefined)
      (out as Record<string, unknown>)[key] = before[key];
  }
  // A stopped run keeps the time it was first seen stopped: the record must not move each reconcile.
  if (before.result === run.result && before.completionTime) out.completionTime = before.completionTime;
  return withDuration(out);
}

export function withDuration(run: Run): Run {
  if (!run.startTime || !run.completionTime || !FINISHED_RESULTS.includes(run.result)) return run;
  const seconds = (Date.parse(run.completionTime) - Date.parse(run.startTime)) / 1000;
  return Number.isFinite(seconds) ? { ...run, duration: humanDuration(seconds) } : run;
}

/** A run whose Job is gone before it finished was stopped (replaced by the CronJob, deleted by hand). */
function gone(
  run: Run,
  now: string,
  policy: ConcurrencyPolicy,
  stopping?: { reason: string; message: string },
): Run {
  if (FINISHED_RESULTS.includes(run.result)) return run;
  const replaced = policy === 'Replace' && run.trigger === 'Schedule';
  // Deleted by this very reconcile, and the watch already told: the reason is ours.
  const why = stopping ?? {
    reason: replaced ? 'Replaced' : 'JobDeleted',
    message: replaced
      ? 'stopped: replaced by the next scheduled run (concurrencyPolicy Replace)'
      : 'stopped: its Job was deleted before it finished',
  };
  return withDuration({ ...run, result: 'Stopped', ...why, completionTime: now });
}

export function recordRuns(input: RunsInput): RunHistory {
  const previous = input.previous?.runs ?? [];
  const before = new Map(previous.map((r) => [r.jobName, r]));
  const jobs = new Map(input.jobs.map((j) => [j.metadata?.name ?? '', j]));
  const changes: RunChange[] = [];
  const note = (run: Run, old: Run | undefined) => {
    if (!old || JSON.stringify(old) !== JSON.stringify(run)) changes.push({ run, before: old });
    return run;
  };
  const observe = (job: V1Job, trigger: Run['trigger']) =>
    observeRun(job, input.podsOf(job), {
      trigger: trigger ?? 'Create',
      timeoutSeconds: input.timeoutSeconds,
      stopping: input.stopping.get(job.metadata?.name ?? ''),
      now: input.now,
    });

  const kept = previous.map((old) => {
    if (isFinal(old)) return old;
    const job = jobs.get(old.jobName);
    if (job) return note(merged(old, observe(job, old.trigger)), old);
    return note(gone(old, input.now, input.concurrencyPolicy, input.stopping.get(old.jobName)), old);
  });
  const fresh = input.jobs
    .filter((j) => !before.has(j.metadata?.name ?? ''))
    .sort((a, b) => created(a) - created(b))
    .map((job, i) =>
      note(merged(undefined, observe(job, triggerOf(job, previous.length === 0 && i === 0))), undefined),
    )
    .reverse();

  const all = [...fresh, ...kept];
  const runs = all.slice(0, input.limit);
  const newly = (result: Run['result']) =>
    changes.filter((c) => c.run.result === result && c.before?.result !== result).length;
  const successes = [
    input.previous?.lastSuccessfulTime,
    ...all.filter((r) => r.result === 'Succeeded').map((r) => r.completionTime),
  ]
    .map(secondsIso)
    .filter((t): t is string => !!t)
    .sort();
  return {
    runs,
    succeededRuns: (input.previous?.succeededRuns ?? 0) + newly('Succeeded'),
    failedRuns: (input.previous?.failedRuns ?? 0) + newly('Failed'),
    lastSuccessfulTime: successes.at(-1),
    changes,
  };
}
