/** `kubectl thurkube logs NAME [-f]`: the agent container's log of a run, through the API server. */
import { isKind, ThurkubeError } from '../../shared/errors.js';
import { sleep } from '../../shared/time.js';
import { getAgentJob, getJob, jobsOf, podsOf, ref } from '../agentjobs.js';
import { parseVerb, UsageError } from '../args.js';
import { type Io, POLL_MS } from '../follow.js';
import { describeRun, runView } from '../run-view.js';
import type { Session } from '../session.js';

export const LOGS_HELP = `Usage: kubectl thurkube logs NAME [-f] [--tail N] [--timestamps] [-n NAMESPACE]

Prints the log of the agent container of the latest run of AgentJob NAME (its pod's log, from
the kubelet through the API server, as kubectl logs reads it). A run that has not started yet
is waited for with -f, and said so without.

Options:
  -f, --follow     stream the log until the run ends
  --tail N         only the last N lines
  --timestamps     prefix each line with its time (RFC 3339)

Examples:
  kubectl thurkube logs pr-fixer -n agents
  kubectl thurkube logs pr-fixer -n agents -f`;

interface LogQuery extends Record<string, string | boolean | undefined> {
  container: string;
  follow?: boolean;
  tailLines?: string;
  timestamps?: boolean;
}

export async function logsVerb(session: Session, args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseVerb('logs', args, {
    follow: { type: 'boolean', short: 'f', default: false },
    tail: { type: 'string' },
    timestamps: { type: 'boolean', default: false },
  });
  const [name, extra] = positionals;
  if (!name || extra !== undefined) throw new UsageError('logs takes one AgentJob NAME');
  if (values.tail !== undefined && !/^\d+$/.test(values.tail))
    throw new UsageError(`--tail ${JSON.stringify(values.tail)}: expected a number of lines`);
  const aj = await getAgentJob(session, name);
  const [latest] = await jobsOf(session, aj);
  const job = latest?.metadata?.name;
  if (!job)
    throw new ThurkubeError(
      'NotFound',
      `AgentJob ${ref(aj)} has no run (phase ${aj.status?.phase ?? 'unknown'}): kubectl thurkube why ${name} -n ${aj.metadata.namespace}`,
    );
  await printLog(session, aj.metadata.namespace, job, io, {
    container: 'agent',
    follow: values.follow || undefined,
    tailLines: values.tail,
    timestamps: values.timestamps || undefined,
  });
  return 0;
}

/** The log of the Job's latest pod; with follow, waits for it to start, then streams it. */
async function printLog(session: Session, namespace: string, job: string, io: Io, query: LogQuery) {
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
      const view = runView(current ?? {}, await podsOf(session, namespace, job));
      if (!current || view.finished || !query.follow)
        throw new ThurkubeError(
          'Invalid',
          `no log for ${describeRun(view)}${current ? '' : '; its Job is gone, and its pods and logs with it'}`,
        );
      if (!announced) io.err(`waiting for ${describeRun(view)}\n`);
      announced = true;
      await sleep(POLL_MS);
    }
  }
}
