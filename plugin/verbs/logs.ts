/** `kubectl thurkube logs NAME [-f]`: the agent container's log of a run, through the API server. */
import { isKind, ThurkubeError } from '../../shared/errors.js';
import { sleep } from '../../shared/time.js';
import { type AgentJob, getAgentJob, getJob, jobsOf, podsOf, ref } from '../agentjobs.js';
import { parseVerb, UsageError } from '../args.js';
import { type Io, POLL_MS } from '../follow.js';
import { describeRun, recordedView, runView } from '../run-view.js';
import type { Session } from '../session.js';

export const LOGS_HELP = `Usage: kubectl thurkube logs NAME [--run K|JOB] [-f] [--tail N] [--timestamps] [-n NAMESPACE]

Prints the log of the agent container of the latest run of AgentJob NAME, or of its K-th run
(1 is the newest, as kubectl thurkube history numbers them), from the kubelet through the API
server as kubectl logs reads it. A run that has not started yet is waited for with -f, and said
so without. A run's log lives as long as its pod: a day after the run (the Job's TTL), or
until the CronJob's history limit removes it; status.runs keeps why it ended after that.

Options:
  --run K|JOB      the K-th newest run (status.runs), or the run of Job JOB
  -f, --follow     stream the log until the run ends
  --tail N         only the last N lines
  --timestamps     prefix each line with its time (RFC 3339)

Examples:
  kubectl thurkube logs pr-fixer -n agents
  kubectl thurkube logs pr-fixer -n agents --run 2
  kubectl thurkube logs pr-fixer -n agents -f`;

interface LogQuery extends Record<string, string | boolean | undefined> {
  container: string;
  follow?: boolean;
  tailLines?: string;
  timestamps?: boolean;
}

export async function logsVerb(session: Session, args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseVerb('logs', args, {
    run: { type: 'string' },
    follow: { type: 'boolean', short: 'f', default: false },
    tail: { type: 'string' },
    timestamps: { type: 'boolean', default: false },
  });
  const [name, extra] = positionals;
  if (!name || extra !== undefined) throw new UsageError('logs takes one AgentJob NAME');
  if (values.tail !== undefined && !/^\d+$/.test(values.tail))
    throw new UsageError(`--tail ${JSON.stringify(values.tail)}: expected a number of lines`);
  const aj = await getAgentJob(session, name);
  const job = await chosenRun(session, aj, values.run);
  await printLog(session, aj, job, io, {
    container: 'agent',
    follow: values.follow || undefined,
    tailLines: values.tail,
    timestamps: values.timestamps || undefined,
  });
  return 0;
}

/**
 * The Job of the run asked for: the K-th of status.runs, a Job named so, or the newest Job (which
 * status.runs may not list yet, just after a run-now).
 */
async function chosenRun(session: Session, aj: AgentJob, run: string | undefined): Promise<string> {
  const recorded = aj.status?.runs ?? [];
  const where = `kubectl thurkube history ${aj.metadata.name} -n ${aj.metadata.namespace}`;
  if (run !== undefined && /^\d+$/.test(run)) {
    const k = Number(run);
    const record = recorded[k - 1];
    if (k < 1 || !record)
      throw new ThurkubeError(
        'NotFound',
        `AgentJob ${ref(aj)} has ${recorded.length} run${recorded.length === 1 ? '' : 's'} recorded, so no run ${run}: ${where}`,
      );
    return record.jobName;
  }
  const jobs = await jobsOf(session, aj);
  if (run !== undefined) {
    if (recorded.some((r) => r.jobName === run) || jobs.some((j) => j.metadata?.name === run)) return run;
    throw new ThurkubeError('NotFound', `AgentJob ${ref(aj)} has no run with Job "${run}": ${where}`);
  }
  const latest = jobs[0]?.metadata?.name ?? recorded[0]?.jobName;
  if (!latest)
    throw new ThurkubeError(
      'NotFound',
      `AgentJob ${ref(aj)} has no run (phase ${aj.status?.phase ?? 'unknown'}): kubectl thurkube why ${aj.metadata.name} -n ${aj.metadata.namespace}`,
    );
  return latest;
}

/** The log of the Job's latest pod; with follow, waits for it to start, then streams it. */
async function printLog(session: Session, aj: AgentJob, job: string, io: Io, query: LogQuery) {
  const namespace = aj.metadata.namespace;
  let announced = false;
  for (;;) {
    const pod = (await podsOf(session, namespace, job))[0]?.metadata?.name;
    try {
      if (!pod) throw new ThurkubeError('Invalid', 'no pod yet');
      const path = `/api/v1/namespaces/${namespace}/pods/${pod}/log`;
      if (query.follow) await session.client.streamText(path, { query }, (text) => io.out(text));
      else io.out(await session.client.request<string>('GET', path, { query, text: true }));
      return;
    } catch (error) {
      // 400: the container has not started (or there is no pod yet); anything else is real.
      if (!isKind(error, 'Invalid') && !isKind(error, 'NotFound')) throw error;
      const current = await getJob(session, namespace, job);
      const record = aj.status?.runs?.find((r) => r.jobName === job);
      if (!current)
        throw new ThurkubeError(
          'NotFound',
          `no log: the Job of run ${job} is gone, and its pods and logs with it${record ? `; status.runs kept: ${describeRun(recordedView(record))}` : ''}`,
        );
      const view = runView(aj, current, await podsOf(session, namespace, job), record);
      if (view.finished || !query.follow)
        throw new ThurkubeError('Invalid', `no log for ${describeRun(view)}`);
      if (!announced) io.err(`waiting for ${describeRun(view)}\n`);
      announced = true;
      await sleep(POLL_MS);
    }
  }
}
