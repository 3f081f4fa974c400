/**
 * The AgentJob status, computed from what the controller observed; pure. Phase:
 * Pending (references missing, spec or children not accepted, or the Job has not started),
 * Running, Succeeded and Failed (from the Job's conditions), Scheduled (CronJob idle),
 * Suspended.
 */
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import type { AgentJobStatus, Condition, Phase } from '../shared/schemas/agent-job.js';
import { secondsIso } from '../shared/time.js';
import { AUTHORIZED_CONDITION } from './cluster-access.js';
import { setCondition } from './conditions.js';

export interface Observation {
  generation: number;
  previous: AgentJobStatus | undefined;
  scheduled: boolean;
  suspended: boolean;
  /** Set when the spec cannot be used at all (terminal until it changes). */
  invalidSpec?: string;
  /** Set when references are missing or invalid. */
  refsProblem?: { reason: 'RefsMissing' | 'RefsInvalid'; message: string };
  /** Set when applying a child failed. */
  applyError?: { reason: string; message: string };
  configHash?: string;
  /** One-shot: the Job of the current configHash, when it exists. */
  job?: V1Job;
  /** Scheduled: the CronJob, and Jobs started by run-now. */
  cronJob?: V1CronJob;
  runNowJobs?: V1Job[];
  nextRunTime?: string;
  handledRunNow?: string;
  ownedResources: { kind: string; name: string }[];
  now: string;
  /** No run may start: the cluster access asked for cannot be granted. */
  held?: { reason: string; message: string };
  /** With a clusterAccessRef: the ClusterAccessAuthorized condition. */
  access?: { authorized: boolean; reason: string; message: string };
}

type JobOutcome = 'Succeeded' | 'Failed' | 'Running' | 'Pending';

export function jobOutcome(job: V1Job): { outcome: JobOutcome; message?: string } {
  const done = job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  if (done?.type === 'Complete') return { outcome: 'Succeeded' };
  if (done?.type === 'Failed') {
    return { outcome: 'Failed', message: [done.reason, done.message].filter(Boolean).join(': ') };
  }
  if ((job.status?.active ?? 0) > 0) return { outcome: 'Running' };
  return { outcome: 'Pending' };
}

const iso = (d: Date | string | undefined) => secondsIso(d);
const latest = (...values: (string | undefined)[]) =>
  values.filter((v): v is string => !!v).sort((a, b) => Date.parse(b) - Date.parse(a))[0];

interface PhaseView {
  phase: Phase;
  message: string;
  lastRunTime?: string;
  lastCompletionTime?: string;
}

function oneShot(o: Observation): PhaseView {
  const name = o.job?.metadata?.name;
  if (!o.job) {
    // The Job was removed after it finished (ttlSecondsAfterFinished): its outcome stays.
    const p = o.previous;
    if (p?.configHash === o.configHash && (p?.phase === 'Succeeded' || p?.phase === 'Failed')) {
      return {
        phase: p.phase,
        message: p.message ?? '',
        lastRunTime: p.lastRunTime,
        lastCompletionTime: p.lastCompletionTime,
      };
    }
    return { phase: 'Pending', message: 'the Job is being created' };
  }
  // A Job is "started" as soon as its controller picks it up; the run starts when a pod does.
  const ran = (o.job.status?.active ?? 0) + (o.job.status?.succeeded ?? 0) + (o.job.status?.failed ?? 0) > 0;
  const lastRunTime =
    ran || o.job.status?.completionTime ? iso(o.job.status?.startTime) : o.previous?.lastRunTime;
  const lastCompletionTime = iso(o.job.status?.completionTime) ?? o.previous?.lastCompletionTime;
  if (o.suspended)
    return {
      phase: 'Suspended',
      message: `suspended; Job ${name} is paused`,
      lastRunTime,
      lastCompletionTime,
    };
  const { outcome, message } = jobOutcome(o.job);
  const text = {
    Succeeded: `Job ${name} succeeded`,
    Failed: `Job ${name} failed${message ? `: ${message}` : ''}`,
    Running: `Job ${name} is running`,
    Pending: `Job ${name} has not started yet`,
  }[outcome];
  return { phase: outcome, message: text, lastRunTime, lastCompletionTime };
}

function scheduled(o: Observation): PhaseView {
  const cron = o.cronJob;
  const runs = o.runNowJobs ?? [];
  const lastRunTime = latest(
    iso(cron?.status?.lastScheduleTime),
    ...runs.map((j) => iso(j.status?.startTime)),
    o.previous?.lastRunTime,
  );
  const lastCompletionTime = latest(
    iso(cron?.status?.lastSuccessfulTime),
    ...runs.map((j) => iso(j.status?.completionTime)),
    o.previous?.lastCompletionTime,
  );
  if (o.suspended)
    return { phase: 'Suspended', message: 'suspended; no runs start', lastRunTime, lastCompletionTime };
  // Not written yet (its pod template waits for the runner ServiceAccount's uid, say).
  if (!cron)
    return { phase: 'Pending', message: 'the CronJob is being created', lastRunTime, lastCompletionTime };
  const active =
    (cron?.status?.active?.length ?? 0) + runs.filter((j) => jobOutcome(j).outcome === 'Running').length;
  if (active > 0)
    return {
      phase: 'Running',
      message: `${active} run${active > 1 ? 's' : ''} in progress`,
      lastRunTime,
      lastCompletionTime,
    };
  return {
    phase: 'Scheduled',
    message: o.nextRunTime ? `next run at ${o.nextRunTime}` : 'waiting for the schedule',
    lastRunTime,
    lastCompletionTime,
  };
}

export function computeStatus(o: Observation): AgentJobStatus {
  let conditions: Condition[] = o.previous?.conditions ?? [];
  const cond = (type: string, status: Condition['status'], reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status, reason, message, observedGeneration: o.generation },
      o.now,
    );
  };
  let view: PhaseView;
  if (o.invalidSpec) {
    view = { phase: 'Pending', message: o.invalidSpec };
    cond('Ready', 'False', 'InvalidSpec', o.invalidSpec);
  } else if (o.refsProblem) {
    view = { phase: 'Pending', message: o.refsProblem.message };
    cond('RefsResolved', 'False', o.refsProblem.reason, o.refsProblem.message);
    cond('Ready', 'False', o.refsProblem.reason, o.refsProblem.message);
  } else {
    cond('RefsResolved', 'True', 'Resolved', 'every reference exists');
    view = o.scheduled ? scheduled(o) : oneShot(o);
    const blocked = o.applyError ?? o.held;
    if (blocked) {
      view = {
        ...view,
        phase: o.previous?.phase === 'Succeeded' ? view.phase : 'Pending',
        message: blocked.message,
      };
      cond('Ready', 'False', blocked.reason, blocked.message);
    } else {
      cond('Ready', 'True', 'ChildrenReady', 'every child object is in place');
    }
  }
  if (o.access)
    cond(AUTHORIZED_CONDITION, o.access.authorized ? 'True' : 'False', o.access.reason, o.access.message);
  else conditions = conditions.filter((c) => c.type !== AUTHORIZED_CONDITION);
  const status: AgentJobStatus = {
    phase: view.phase,
    message: view.message,
    observedGeneration: o.generation,
    ownedResources: o.ownedResources,
    conditions,
  };
  if (view.lastRunTime) status.lastRunTime = view.lastRunTime;
  if (view.lastCompletionTime) status.lastCompletionTime = view.lastCompletionTime;
  if (o.scheduled && !o.suspended && o.nextRunTime && !o.invalidSpec && !o.refsProblem)
    status.nextRunTime = o.nextRunTime;
  const hash = o.configHash ?? o.previous?.configHash;
  if (hash) status.configHash = hash;
  const handled = o.handledRunNow ?? o.previous?.handledRunNow;
  if (handled) status.handledRunNow = handled;
  return status;
}
