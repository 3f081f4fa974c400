/**
 * Run policies on the real control plane, with CronJobs that fire every minute (so this file takes
 * about three minutes; its AgentJobs are created together and run side by side): each
 * concurrencyPolicy behaves as the CronJob's does, for scheduled runs and for run-now; the history
 * keeps runs whose Jobs the CronJob's history limit removed; retries and startingDeadlineSeconds
 * reach the Job and the CronJob.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_ENV, RUN_FOR_ENV } from '../../dev/cluster/kwok-stages.js';
import type { AgentJobStatus } from '../../shared/schemas/agent-job.js';
import { example } from '../fixtures/load.js';
import { eventually, testCluster } from '../support/testing.js';
import { applyManifest, controllerSuite, eventsAbout, statusWhen } from './controller-helpers.js';

const cluster = testCluster();
const suite = controllerSuite(cluster, 'policies');
/** Two ticks of a `* * * * *` schedule, however far the first is, and the runs to finish. */
const TWO_TICKS_MS = 200_000;

const agentJob = (name: string, spec: Record<string, unknown>) => {
  const aj = example('AgentJob', 'minimal');
  aj.metadata.name = name;
  aj.spec = { ...aj.spec, ...spec };
  return aj;
};
/** Longer than a minute: the first run is still going when the next one is due. */
const long = [{ name: RUN_FOR_ENV, value: '100s' }];

beforeAll(async () => {
  const ns = suite.namespace();
  await Promise.all([
    applyManifest(cluster, ns, agentJob('forbid', { schedule: '* * * * *', env: long })),
    applyManifest(
      cluster,
      ns,
      agentJob('allow', { schedule: '* * * * *', env: long, concurrencyPolicy: 'Allow' }),
    ),
    applyManifest(
      cluster,
      ns,
      agentJob('replace', { schedule: '* * * * *', env: long, concurrencyPolicy: 'Replace' }),
    ),
    applyManifest(
      cluster,
      ns,
      agentJob('kept', { schedule: '* * * * *', successfulRunsHistoryLimit: 1, startingDeadlineSeconds: 30 }),
    ),
    applyManifest(
      cluster,
      ns,
      agentJob('retrying', { retries: 1, env: [{ name: OUTCOME_ENV, value: 'fail' }] }),
    ),
  ]);
});

const jobsOf = async (name: string) =>
  (
    await cluster.batch.listNamespacedJob({
      namespace: suite.namespace(),
      labelSelector: `thurkube.thurbeen.eu/agentjob=${name}`,
    })
  ).items;
const running = (s: AgentJobStatus) => (s.runs ?? []).filter((r) => r.result === 'Running');
const runNow = (name: string, value: string) =>
  cluster.kubectl([
    'annotate',
    '-n',
    suite.namespace(),
    'agentjob',
    name,
    `thurkube.thurbeen.eu/run-now=${value}`,
    '--overwrite',
  ]);

describe('concurrencyPolicy', () => {
  it(
    'Forbid (the default) skips a scheduled run while one is in progress, and a run-now too, saying why',
    async () => {
      const ns = suite.namespace();
      await eventually(
        'the CronJob to skip a run (JobAlreadyActive)',
        async () => (await eventsAbout(cluster, ns, 'forbid')).some((e) => e.reason === 'JobAlreadyActive'),
        TWO_TICKS_MS,
        2000,
      );
      expect(await jobsOf('forbid')).toHaveLength(1);
      await runNow('forbid', 'while-busy');
      const skipped = await eventually('the RunNowSkipped event', async () =>
        (await eventsAbout(cluster, ns, 'forbid')).find((e) => e.reason === 'RunNowSkipped'),
      );
      expect(skipped.note).toMatch(
        /^run-now "while-busy" ignored: a run is in progress \(forbid-\d+\) and concurrencyPolicy is Forbid$/,
      );
      const status = await statusWhen(
        cluster,
        ns,
        'forbid',
        'run-now handled',
        (s) => s.handledRunNow === 'while-busy',
      );
      expect(status.runs).toHaveLength(1);
      expect((await jobsOf('forbid')).some((j) => j.metadata?.name?.startsWith('forbid-now-'))).toBe(false);
    },
    TWO_TICKS_MS + 30_000,
  );

  it(
    'Allow runs a scheduled run beside the one in progress, and a run-now beside both',
    async () => {
      const ns = suite.namespace();
      await statusWhen(
        cluster,
        ns,
        'allow',
        'two scheduled runs at once',
        (s) => running(s).length === 2,
        TWO_TICKS_MS,
      );
      await runNow('allow', 'beside');
      const status = await statusWhen(
        cluster,
        ns,
        'allow',
        'three runs at once',
        (s) => running(s).length === 3,
      );
      expect(status.runs?.map((r) => r.trigger)).toEqual(['RunNow', 'Schedule', 'Schedule']);
    },
    TWO_TICKS_MS + 30_000,
  );

  it(
    'Replace stops the run in progress when the next is due, and for a run-now, recording both as Stopped',
    async () => {
      const ns = suite.namespace();
      const replaced = await statusWhen(
        cluster,
        ns,
        'replace',
        'a scheduled run replaced by the next',
        (s) => s.runs?.[1]?.result === 'Stopped' && s.runs?.[0]?.result === 'Running',
        TWO_TICKS_MS,
      );
      expect(replaced.runs?.[1]).toMatchObject({
        trigger: 'Schedule',
        reason: 'Replaced',
        message: 'stopped: replaced by the next scheduled run (concurrencyPolicy Replace)',
      });
      const current = replaced.runs?.[0]?.jobName;
      await runNow('replace', 'instead');
      const after = await statusWhen(
        cluster,
        ns,
        'replace',
        'the run-now run replacing the scheduled one',
        // The run-now run may take a moment to be Running on a loaded machine: wait for it too.
        (s) =>
          s.runs?.[0]?.trigger === 'RunNow' &&
          s.runs?.find((r) => r.jobName === current)?.result === 'Stopped' &&
          running(s).length > 0,
      );
      expect(after.runs?.find((r) => r.jobName === current)).toMatchObject({
        reason: 'Replaced',
        message: 'stopped: replaced by a run-now run (concurrencyPolicy Replace)',
      });
      expect(running(after).map((r) => r.trigger)).toEqual(['RunNow']);
    },
    TWO_TICKS_MS + 30_000,
  );
});

describe('run history limits and other policies', () => {
  it(
    "keeps the record of a run after the CronJob's history limit removed its Job",
    async () => {
      const ns = suite.namespace();
      const status = await statusWhen(
        cluster,
        ns,
        'kept',
        'two succeeded runs',
        (s) => s.succeededRuns === 2,
        TWO_TICKS_MS,
      );
      await eventually('the older Job to be removed by successfulRunsHistoryLimit 1', async () =>
        (await jobsOf('kept')).length === 1 ? true : undefined,
      );
      const jobs = (await jobsOf('kept')).map((j) => j.metadata?.name);
      const later = await statusWhen(cluster, ns, 'kept', 'the history', (s) => (s.runs?.length ?? 0) === 2);
      expect(later.runs?.map((r) => [r.trigger, r.result])).toEqual([
        ['Schedule', 'Succeeded'],
        ['Schedule', 'Succeeded'],
      ]);
      expect(jobs).toEqual([later.runs?.[0]?.jobName]);
      expect(status.lastSuccessfulTime).toBeDefined();
      const cron = await cluster.batch.readNamespacedCronJob({ name: 'kept', namespace: ns });
      expect(cron.spec?.successfulJobsHistoryLimit).toBe(1);
      expect(cron.spec?.startingDeadlineSeconds).toBe(30);
    },
    TWO_TICKS_MS + 30_000,
  );

  it('retries a failed run as often as spec.retries says, in the same run', async () => {
    const ns = suite.namespace();
    const status = await statusWhen(
      cluster,
      ns,
      'retrying',
      'the run to fail',
      (s) => s.runs?.[0]?.result === 'Failed',
      90_000,
    );
    const [job] = await jobsOf('retrying');
    expect(job?.spec?.backoffLimit).toBe(1);
    expect(job?.status?.failed).toBe(2);
    expect(status.runs).toHaveLength(1);
    expect(status.failedRuns).toBe(1);
    expect(status.message).toMatch(/^run retrying-[0-9a-f]{16} failed: exit code 1 \(Error\)$/);
  });
});
