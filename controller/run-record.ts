/**
 * One run, read from its Job and the Job's pods; pure. The Job says how it ended (Complete, Failed
 * with DeadlineExceeded or BackoffLimitExceeded); the agent container's terminated state says why
 * (exit code, Error or OOMKilled, the termination message: a runtime's result or the log tail);
 * a pod that never started says why from its waiting reason or its PodScheduled condition.
 */
import type { V1ContainerState, V1Job, V1Pod } from '@kubernetes/client-node';
import { lastLine, oneLine, parseTerminationMessage } from '../shared/results.js';
import type { Run, RunResult, RunTrigger } from '../shared/schemas/run.js';
import { secondsIso } from '../shared/time.js';
import { latestPod } from './pods.js';

/** Waiting reasons of a container that is simply on its way. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

export interface RunContext {
  trigger: RunTrigger;
  /** spec.timeoutSeconds, for the message of a run stopped by it. */
  timeoutSeconds: number;
  /** Set when this reconcile stops the run (suspend, a newer run, Replace): why, in a word and a sentence. */
  stopping?: { reason: string; message: string };
  now: string;
}

interface ContainerView {
  terminated?: NonNullable<V1ContainerState['terminated']>;
  waiting?: NonNullable<V1ContainerState['waiting']>;
  running: boolean;
  memoryLimit?: string;
}

function agentOf(pod: V1Pod | undefined): ContainerView {
  const status = pod?.status?.containerStatuses?.[0];
  const terminated = status?.state?.terminated ?? status?.lastState?.terminated;
  const limit = pod?.spec?.containers?.[0]?.resources?.limits?.memory;
  return {
    terminated: terminated ?? undefined,
    waiting: status?.state?.waiting ?? undefined,
    running: !!status?.state?.running,
    memoryLimit: limit === undefined ? undefined : String(limit),
  };
}

export function triggerOf(job: V1Job, firstRun: boolean): RunTrigger {
  if (job.metadata?.annotations?.['cronjob.kubernetes.io/instantiate'] === 'manual') return 'RunNow';
  if (job.metadata?.ownerReferences?.some((o) => o.kind === 'CronJob')) return 'Schedule';
  return firstRun ? 'Create' : 'SpecChange';
}

const finishedCondition = (job: V1Job) =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** Why the pod has not started, if something stands in its way. */
function notStarted(
  pod: V1Pod | undefined,
  agent: ContainerView,
): { reason: string; message: string } | undefined {
  const waiting = agent.waiting;
  if (waiting?.reason && !STARTING.has(waiting.reason))
    return {
      reason: waiting.reason,
      message: oneLine(`${waiting.reason}: ${waiting.message ?? ''}`.replace(/: $/, '')),
    };
  const unscheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled)
    return {
      reason: unscheduled.reason ?? 'Unschedulable',
      message: oneLine(`not scheduled: ${unscheduled.message ?? unscheduled.reason ?? ''}`),
    };
  return undefined;
}

/** Stopped by activeDeadlineSeconds: say so, and what the agent was doing (or why it never started). */
function timedOut(pod: V1Pod | undefined, agent: ContainerView, said: string | undefined, timeout: number) {
  const blocked = agent.terminated ? undefined : notStarted(pod, agent);
  const detail = blocked
    ? `; the agent had not started: ${blocked.message}`
    : said
      ? `; last log line: ${said}`
      : '';
  return {
    reason: 'DeadlineExceeded',
    message: oneLine(`stopped after timeoutSeconds (${timeout} s)${detail}`),
  };
}

function exited(terminated: NonNullable<ContainerView['terminated']>, agent: ContainerView, said?: string) {
  const reason = terminated.reason || 'Error';
  const head = `exit code ${terminated.exitCode} (${reason})`;
  if (reason !== 'OOMKilled') return { reason, message: oneLine(said ? `${head}: ${said}` : head) };
  const limit = agent.memoryLimit
    ? `the agent used more than its memory limit of ${agent.memoryLimit} (spec.resources.limits.memory)`
    : 'the agent ran out of memory (no memory limit set: the node was short of memory)';
  return { reason, message: oneLine(`${head}: ${limit}`) };
}

function failure(
  job: V1Job,
  pod: V1Pod | undefined,
  agent: ContainerView,
  said: { text?: string; summary?: string },
  ctx: RunContext,
): { reason: string; message: string } {
  const condition = finishedCondition(job);
  const line = said.summary
    ? oneLine(said.summary.split('\n')[0] ?? '')
    : said.text
      ? lastLine(said.text)
      : undefined;
  if (condition?.reason === 'DeadlineExceeded') return timedOut(pod, agent, line, ctx.timeoutSeconds);
  if (agent.terminated) return exited(agent.terminated, agent, line);
  const blocked = notStarted(pod, agent);
  if (blocked) return { reason: blocked.reason, message: `the agent never started: ${blocked.message}` };
  if (pod?.status?.reason)
    return {
      reason: pod.status.reason,
      message: oneLine(`${pod.status.reason}: ${pod.status.message ?? ''}`),
    };
  return {
    reason: condition?.reason ?? 'Failed',
    message: oneLine([condition?.reason, condition?.message].filter(Boolean).join(': ') || 'the Job failed'),
  };
}

function resultOf(job: V1Job, pod: V1Pod | undefined, agent: ContainerView, ctx: RunContext): RunResult {
  const done = finishedCondition(job);
  if (done?.type === 'Complete') return 'Succeeded';
  if (done?.type === 'Failed') return 'Failed';
  if (ctx.stopping || job.metadata?.deletionTimestamp) return 'Stopped';
  if (job.spec?.suspend) return ran(job, pod) ? 'Stopped' : 'Pending';
  return agent.running || pod?.status?.phase === 'Running' ? 'Running' : 'Pending';
}

/** A pod existed: the Job is not merely picked up by its controller (runs held back by a quota are not). */
const ran = (job: V1Job, pod: V1Pod | undefined) =>
  !!pod || (job.status?.active ?? 0) + (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0) > 0;

export function observeRun(job: V1Job, pods: readonly V1Pod[], ctx: RunContext): Run {
  const pod = latestPod(pods);
  const agent = agentOf(pod);
  const result = resultOf(job, pod, agent, ctx);
  const run: Run = { jobName: job.metadata?.name ?? '', trigger: ctx.trigger, result };
  if (ran(job, pod) || result === 'Succeeded' || result === 'Failed') {
    const start = secondsIso(job.status?.startTime);
    if (start) run.startTime = start;
  }
  const finished =
    result === 'Succeeded'
      ? (job.status?.completionTime ?? finishedCondition(job)?.lastTransitionTime)
      : result === 'Failed'
        ? finishedCondition(job)?.lastTransitionTime
        : result === 'Stopped'
          ? ctx.now
          : undefined;
  const completion = secondsIso(finished);
  if (completion) run.completionTime = completion;
  if (agent.terminated) run.exitCode = agent.terminated.exitCode;
  const { outputs, text } = parseTerminationMessage(agent.terminated?.message);
  if (outputs && Object.keys(outputs).length > 0) run.outputs = outputs;
  Object.assign(run, explanation(result, job, pod, agent, { text, summary: outputs?.summary }, ctx));
  return run;
}

function explanation(
  result: RunResult,
  job: V1Job,
  pod: V1Pod | undefined,
  agent: ContainerView,
  said: { text?: string; summary?: string },
  ctx: RunContext,
): Pick<Run, 'reason' | 'message'> {
  switch (result) {
    case 'Succeeded':
      return said.summary
        ? { reason: 'Completed', message: oneLine(said.summary.split('\n')[0] ?? '') }
        : { reason: 'Completed' };
    case 'Failed':
      return failure(job, pod, agent, said, ctx);
    case 'Stopped':
      return (
        ctx.stopping ??
        (job.spec?.suspend
          ? { reason: 'Suspended', message: 'stopped: the AgentJob is suspended' }
          : { reason: 'JobDeleted', message: 'stopped: its Job was deleted' })
      );
    case 'Pending':
      if (job.spec?.suspend) return { reason: 'Suspended', message: 'waiting: the AgentJob is suspended' };
      return notStarted(pod, agent) ?? {};
    default:
      return {};
  }
}
