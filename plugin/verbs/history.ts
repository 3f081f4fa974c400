/** `kubectl thurkube history [NAME]`: the runs table, from status.runs. */
import type { Run } from '../../shared/schemas/run.js';
import { AGENTJOBS, type AgentJob, getAgentJob } from '../agentjobs.js';
import { parseVerb, UsageError } from '../args.js';
import type { Io } from '../follow.js';
import { table } from '../format.js';
import { countsLine } from '../run-view.js';
import type { Session } from '../session.js';

export const HISTORY_HELP = `Usage: kubectl thurkube history [NAME] [-n NAMESPACE | -A]

Lists the runs of AgentJob NAME, newest first, as the controller records them in status.runs
(the last 10 unless it runs with another --run-history; a run is kept after its Job is gone):
RUN (1 is the newest; kubectl thurkube logs NAME --run RUN prints its log), when it started,
what started it (Create, SpecChange, Schedule, RunNow), its result and duration, its Job, and
why it ended. Then the counts since the AgentJob was created and the last success.

Without NAME, the runs of every AgentJob of the namespace (every namespace with -A), newest
first.

Examples:
  kubectl thurkube history pr-fixer -n agents
  kubectl thurkube history -A`;

const row = (run: Run, index: number) => [
  String(index + 1),
  run.startTime ?? 'not started',
  run.trigger ?? '',
  run.result,
  run.duration ?? '',
  run.jobName,
  run.message ?? '',
];
const HEADERS = ['RUN', 'STARTED', 'TRIGGER', 'RESULT', 'DURATION', 'JOB', 'MESSAGE'];

export function formatHistory(aj: AgentJob, now = Date.now()): string {
  const runs = aj.status?.runs ?? [];
  const body = runs.length ? table(HEADERS, runs.map(row)) : ['no runs recorded yet'];
  return `${[...body, countsLine(aj, now)].join('\n')}\n`;
}

/** Every run of these AgentJobs, newest first, each with its AgentJob (and namespace with -A). */
export function formatManyHistories(ajs: AgentJob[], allNamespaces: boolean): string {
  const rows = ajs
    .flatMap((aj) => (aj.status?.runs ?? []).map((run, i) => ({ aj, run, i })))
    .sort((a, b) => (b.run.startTime ?? '9').localeCompare(a.run.startTime ?? '9'))
    .map(({ aj, run, i }) => [
      ...(allNamespaces ? [aj.metadata.namespace] : []),
      aj.metadata.name,
      ...row(run, i),
    ]);
  if (rows.length === 0) return 'no runs recorded yet\n';
  return `${table([...(allNamespaces ? ['NAMESPACE'] : []), 'AGENTJOB', ...HEADERS], rows).join('\n')}\n`;
}

export async function historyVerb(session: Session, args: string[], io: Io): Promise<number> {
  const { positionals } = parseVerb('history', args, {});
  const [name, extra] = positionals;
  if (extra !== undefined) throw new UsageError('history takes at most one AgentJob NAME');
  if (name) {
    io.out(formatHistory(await getAgentJob(session, name)));
    return 0;
  }
  const list = await session.client.list<AgentJob>(
    AGENTJOBS,
    session.allNamespaces ? undefined : session.namespace,
  );
  io.out(formatManyHistories(list.items, session.allNamespaces));
  return 0;
}
