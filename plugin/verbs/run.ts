/** `kubectl thurkube run NAME [--wait]`: a run now, followed to its end with --wait. */
import { ThurkubeError } from '../../shared/errors.js';
import { ANNOTATION_RUN_NOW } from '../../shared/labels.js';
import { runNowJobName } from '../../shared/names.js';
import { sha256Hex } from '../../shared/render/hash.js';
import { sleep } from '../../shared/time.js';
import {
  AGENTJOBS,
  type AgentJob,
  eventsAbout,
  getAgentJob,
  getJob,
  jobsOf,
  podsOf,
  ref,
  scheduled,
} from '../agentjobs.js';
import { parseDuration, parseVerb, UsageError } from '../args.js';
import { followRun, type Io, POLL_MS } from '../follow.js';
import { describeRun, runView } from '../run-view.js';
import type { Session } from '../session.js';

export const RUN_HELP = `Usage: kubectl thurkube run NAME [--wait] [--timeout DURATION] [-n NAMESPACE]

Starts a run of the scheduled AgentJob NAME now, from its CronJob's template (the
thurkube.thurbeen.eu/run-now annotation, set to the current time), and prints the run's Job
once the controller has started it. With --wait, follows the run to its end: a line each time
it changes (pending and why, running), then how it ended; the exit code is 0 when it
succeeded, 1 when it failed or was stopped.

A one-shot AgentJob runs once per spec: run follows its run while it is in progress, and says
so otherwise (it runs again when its spec changes).

Options:
  --wait               follow the run until it ends; exit with its result
  --timeout DURATION   give up waiting after this long (the run goes on): default 1m to start
                       it, no limit with --wait (e.g. 90s, 10m, 1h)

Examples:
  kubectl thurkube run pr-fixer -n agents --wait
  kubectl thurkube run nightly-report -n agents`;

/** How long the controller may take to turn a run-now request into a Job. */
const START_TIMEOUT_MS = 60_000;

export async function runVerb(session: Session, args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseVerb('run', args, {
    wait: { type: 'boolean', default: false },
    timeout: { type: 'string' },
  });
  const [name, extra] = positionals;
  if (!name || extra !== undefined) throw new UsageError('run takes one AgentJob NAME');
  const limit = values.timeout === undefined ? undefined : parseDuration('--timeout', values.timeout);
  const started = Date.now();
  const deadline = (fallback: number) =>
    limit ? started + limit : fallback ? started + fallback : Number.POSITIVE_INFINITY;

  const aj = await getAgentJob(session, name);
  const namespace = aj.metadata.namespace;
  const job = scheduled(aj)
    ? await requestRun(session, aj, io, deadline(START_TIMEOUT_MS), values.timeout ?? '1m')
    : await currentOneShotRun(session, aj, io);
  if (!job) return 1;
  if (!values.wait) return 0;
  const end = await followRun(session, aj, job, io, deadline(0));
  if (!end) {
    const view = runView(
      aj,
      (await getJob(session, namespace, job)) ?? {},
      await podsOf(session, namespace, job),
    );
    io.err(`error: timed out after ${values.timeout}; ${describeRun(view)} (it goes on)\n`);
    return 1;
  }
  io.out(`${describeRun(end)}\n`);
  return end.run.result === 'Succeeded' ? 0 : 1;
}

/** Sets run-now and waits for the run's Job; undefined (having said why) when no run starts. */
async function requestRun(
  session: Session,
  aj: AgentJob,
  io: Io,
  deadline: number,
  timeout: string,
): Promise<string | undefined> {
  if (aj.spec.suspend) {
    io.err(
      `error: AgentJob ${ref(aj)} is suspended, so a run-now would be recorded and skipped; resume it first:\n` +
        `  kubectl patch agentjob ${aj.metadata.name} -n ${aj.metadata.namespace} --type merge -p '{"spec":{"suspend":false}}'\n`,
    );
    return undefined;
  }
  const value = new Date().toISOString();
  const job = runNowJobName(aj.metadata.name, sha256Hex(value));
  await session.client.patch(
    AGENTJOBS,
    { namespace: aj.metadata.namespace, name: aj.metadata.name },
    { metadata: { annotations: { [ANNOTATION_RUN_NOW]: value } } },
  );
  io.out(`run requested: AgentJob ${ref(aj)}, ${ANNOTATION_RUN_NOW}=${value}\n`);
  for (;;) {
    if (await getJob(session, aj.metadata.namespace, job)) {
      io.out(`Job ${aj.metadata.namespace}/${job} created for the run\n`);
      return job;
    }
    const now = await session.client.get<AgentJob>(AGENTJOBS, {
      namespace: aj.metadata.namespace,
      name: aj.metadata.name,
    });
    if (now.status?.handledRunNow === value) {
      // Handled without a Job: the controller says why in an event (suspended meanwhile, or a
      // run in progress under concurrencyPolicy Forbid).
      const skipped = (await eventsAbout(session, aj.metadata.namespace, [aj.metadata.uid])).find(
        (e) => e.reason === 'RunNowSkipped' && e.message?.includes(value),
      );
      if (skipped) {
        io.err(`error: no run started: ${skipped.message}\n`);
        return undefined;
      }
    }
    if (Date.now() >= deadline) {
      io.err(
        `error: the controller has not started the run within ${timeout} ` +
          `(no Job ${job}): is it running? kubectl get pods -A -l app.kubernetes.io/component=controller\n`,
      );
      return undefined;
    }
    await sleep(POLL_MS);
  }
}

/** A one-shot AgentJob's run in progress; an error saying why when there is none to follow. */
async function currentOneShotRun(session: Session, aj: AgentJob, io: Io): Promise<string> {
  const [latest] = await jobsOf(session, aj);
  if (latest?.metadata?.name) {
    const view = runView(aj, latest, await podsOf(session, aj.metadata.namespace, latest.metadata.name));
    if (!view.finished) {
      io.out(`AgentJob ${ref(aj)} is one-shot (one run per spec); its ${describeRun(view)}\n`);
      return latest.metadata.name;
    }
    throw new ThurkubeError(
      'Invalid',
      `AgentJob ${ref(aj)} is one-shot: it runs once per spec, and its ${describeRun(view)}. ` +
        'It runs again when its spec changes; for runs on demand, give it a schedule.',
    );
  }
  throw new ThurkubeError(
    'Invalid',
    `AgentJob ${ref(aj)} is one-shot and has no run yet (phase ${aj.status?.phase ?? 'unknown'}): ` +
      `kubectl thurkube why ${aj.metadata.name} -n ${aj.metadata.namespace} says what it waits for`,
  );
}
