/**
 * One run as a person asks about it (where is it, how did it end, why), read from its Job and its
 * pods: a pure function, so that `run --wait`, `logs` and `why` say the same thing.
 */
import type { Job, Pod } from './agentjobs.js';

export type RunResult = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Stopped';

export interface RunView {
  job: string;
  result: RunResult;
  finished: boolean;
  /** The pod of its last attempt. */
  pod?: string;
  startTime?: string;
  completionTime?: string;
  exitCode?: number;
  /** One word: Completed, Error, OOMKilled, DeadlineExceeded, ImagePullBackOff, Unschedulable... */
  reason?: string;
  /** Why, in the words of whoever knows: the agent's termination message, the kubelet, the Job. */
  message?: string;
}

const AGENT_CONTAINER = 'agent';

const condition = (job: Job, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** The first line that says something, cut to fit a terminal line of a table or a message. */
export function oneLine(text: string | undefined, max = 240): string | undefined {
  const line = text
    ?.split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
  if (!line) return undefined;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function podState(pod: Pod): Pick<RunView, 'result' | 'exitCode' | 'reason' | 'message'> {
  const status =
    pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER) ??
    pod.status?.containerStatuses?.[0];
  const terminated = status?.state?.terminated;
  if (terminated)
    return {
      result: terminated.exitCode === 0 ? 'Succeeded' : 'Failed',
      exitCode: terminated.exitCode,
      reason: terminated.reason,
      message: oneLine(terminated.message),
    };
  if (status?.state?.running) return { result: 'Running' };
  const waiting = status?.state?.waiting;
  if (waiting?.reason)
    return { result: 'Pending', reason: waiting.reason, message: oneLine(waiting.message) };
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled)
    return {
      result: 'Pending',
      reason: unscheduled.reason ?? 'Unschedulable',
      message: oneLine(unscheduled.message),
    };
  return { result: pod.status?.phase === 'Running' ? 'Running' : 'Pending', reason: pod.status?.phase };
}

export function runView(job: Job, pods: Pod[]): RunView {
  const name = job.metadata?.name ?? '';
  const pod = pods[0];
  const view: RunView = {
    job: name,
    result: 'Pending',
    finished: false,
    pod: pod?.metadata?.name,
    startTime: job.status?.startTime as string | undefined,
  };
  const fromPod = pod ? podState(pod) : { result: 'Pending' as const, reason: 'NoPod' };
  const succeeded = condition(job, 'Complete') ?? condition(job, 'SuccessCriteriaMet');
  const failed = condition(job, 'Failed') ?? condition(job, 'FailureTarget');
  if (succeeded) {
    return {
      ...view,
      ...fromPod,
      result: 'Succeeded',
      finished: true,
      completionTime: (job.status?.completionTime ?? succeeded.lastTransitionTime) as string | undefined,
    };
  }
  if (failed) {
    // The Job's own reason when it stopped the pod (DeadlineExceeded), else how the agent ended.
    const byJob = failed.reason === 'DeadlineExceeded' || fromPod.result !== 'Failed';
    return {
      ...view,
      ...fromPod,
      result: 'Failed',
      finished: true,
      completionTime: failed.lastTransitionTime as string | undefined,
      reason: byJob ? failed.reason : fromPod.reason,
      message: byJob ? (oneLine(failed.message) ?? fromPod.message) : fromPod.message,
    };
  }
  if (job.spec?.suspend)
    return { ...view, result: 'Stopped', reason: 'Suspended', message: 'its AgentJob is suspended' };
  // A pod that ended before its Job says so: the run is still in progress until the Job agrees.
  if (fromPod.result === 'Succeeded' || fromPod.result === 'Failed') return { ...view, result: 'Running' };
  return { ...view, ...fromPod };
}

/** `4m12s` between two timestamps (or until now). */
export function elapsed(
  from: string | undefined,
  to: string | undefined,
  now = Date.now(),
): number | undefined {
  const start = Date.parse(from ?? '');
  if (!Number.isFinite(start)) return undefined;
  const end = to ? Date.parse(to) : now;
  return Number.isFinite(end) ? Math.max(0, (end - start) / 1000) : undefined;
}

/** One line for a person: `run N-now-3e23e failed after 3s: exit code 1 (Error): FATAL: ...`. */
export function describeRun(run: RunView, now = Date.now()): string {
  const took = elapsed(run.startTime, run.completionTime, now);
  const dur = took === undefined ? '' : humanDuration(took);
  const why = [
    run.exitCode !== undefined && run.exitCode !== 0 ? `exit code ${run.exitCode}` : '',
    run.reason && run.reason !== 'Completed' ? (run.exitCode ? `(${run.reason})` : run.reason) : '',
  ]
    .filter(Boolean)
    .join(' ');
  const detail = [why, run.message].filter(Boolean).join(': ');
  switch (run.result) {
    case 'Succeeded':
      return `run ${run.job} succeeded${dur ? ` in ${dur}` : ''}${run.message ? `: ${run.message}` : ''}`;
    case 'Failed':
      return `run ${run.job} failed${dur ? ` after ${dur}` : ''}${detail ? `: ${detail}` : ''}`;
    case 'Stopped':
      return `run ${run.job} stopped${detail ? `: ${detail}` : ''}`;
    case 'Running':
      return `run ${run.job} running${dur ? ` for ${dur}` : ''}${run.pod ? ` (pod ${run.pod})` : ''}`;
    default:
      return `run ${run.job} has not started${detail && run.reason !== 'NoPod' ? `: ${detail}` : ''}`;
  }
}

/** `45s`, `4m12s`, `2h3m`, `3d4h`: two units at most, like kubectl's AGE column. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}
