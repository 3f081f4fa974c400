import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../shared/kube/client.js';
import {
  capturedReview,
  type Harness,
  NS,
  reviewWith,
  startHarness,
} from '../test/fixtures/admission/harness.js';

/** The full AgentJob (pr-fixer, scheduled, every reference) as the validating webhook received it. */
const fullJob = (spec: Record<string, unknown> = {}, name?: string) =>
  reviewWith('validate-agentjob-create', spec, { name });

/** The API server's own rule (Kubernetes 1.36): an env name is printable ASCII without "=". */
function envNameRule(o: KubeObject) {
  const pod =
    o.kind === 'CronJob'
      ? (o as V1CronJob).spec?.jobTemplate.spec?.template.spec
      : (o as V1Job).spec?.template.spec;
  const env = pod?.containers[0]?.env ?? [];
  const bad = env.findIndex((e) => e.name.includes('='));
  if (bad < 0) return undefined;
  const prefix = o.kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template';
  return {
    code: 422,
    reason: 'Invalid',
    message:
      `${o.kind}.batch "${o.metadata?.name}" is invalid: ${prefix}.spec.containers[0].env[${bad}].name: ` +
      `Invalid value: "${env[bad]?.name}": a valid environment variable name must consist only of printable ASCII characters other than '='`,
  };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ dryRun: envNameRule });
});
afterAll(() => h.close());

describe('validating an AgentJob', () => {
  it('admits the full example whose references all exist, without warnings', async () => {
    const { status, response } = await h.post('/validate', fullJob());
    expect(status).toBe(200);
    expect(response).toEqual({ uid: fullJob().request.uid, allowed: true });
  });

  it('names the field of a bad quantity and of an envFrom entry with neither or both sources', async () => {
    // Regression: these reached the dry-run of the Job, which named no field or lost the index.
    const review = fullJob({
      resources: { limits: { cpu: 'lots', memory: '2Gi' } },
      envFrom: [
        { configMapRef: { name: 'a' } },
        {},
        { configMapRef: { name: 'b' }, secretRef: { name: 'c' } },
      ],
    });
    const { response } = await h.post('/validate', review);
    expect(response.status?.message).toBe(
      'AgentJob "pr-fixer" is invalid: spec.resources.limits.cpu: must be a quantity such as "500m", "2Gi" or 1; ' +
        'spec.envFrom[1]: set exactly one of configMapRef or secretRef; spec.envFrom[2]: set exactly one of configMapRef or secretRef',
    );
  });

  it('names every missing reference in one message, with the namespace', async () => {
    const review = fullJob({ runtimeRef: 'nope', mcpServerRefs: ['gmail', 'ghost'], skillRef: 'lost' });
    const { response } = await h.post('/validate', review);
    expect(response.allowed).toBe(false);
    expect(response.status).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        `AgentJob "pr-fixer" is invalid: spec.runtimeRef: AgentRuntime "nope" not found in namespace "${NS}"; ` +
        `spec.skillRef: AgentSkill "lost" not found in namespace "${NS}"; ` +
        `spec.mcpServerRefs[1]: McpServer "ghost" not found in namespace "${NS}"`,
    });
  });

  it('collects problems of different rules into one denial, as the issue shows', async () => {
    const { response } = await h.post(
      '/validate',
      fullJob({ runtimeRef: 'claude-code-x', schedule: '61 * * * *' }),
    );
    expect(response.status?.message).toBe(
      `AgentJob "pr-fixer" is invalid: spec.schedule: "61 * * * *": minute 61 out of range 0-59; ` +
        `spec.runtimeRef: AgentRuntime "claude-code-x" not found in namespace "${NS}"`,
    );
  });

  it('reports schema problems and missing references together', async () => {
    const { response } = await h.post('/validate', fullJob({ timeoutSeconds: 0, roleRef: 'nobody' }));
    expect(response.status?.message).toBe(
      'AgentJob "pr-fixer" is invalid: spec.timeoutSeconds: must be at least 1; ' +
        `spec.roleRef: AgentRole "nobody" not found in namespace "${NS}"`,
    );
  });

  it('admits missing references with warnings in warn mode', async () => {
    const warn = await startHarness({ settings: { missingRefs: 'warn' } });
    try {
      const { response } = await warn.post(
        '/validate',
        fullJob({ runtimeRef: 'later', repositoryRefs: ['soon'] }),
      );
      expect(response.allowed).toBe(true);
      expect(response.warnings).toEqual([
        `spec.runtimeRef: AgentRuntime "later" not found in namespace "${NS}"; the controller waits for it`,
        `spec.repositoryRefs[0]: Repository "soon" not found in namespace "${NS}"; the controller waits for it`,
      ]);
    } finally {
      await warn.close();
    }
  });

  it('finds a reference the cache has not seen yet with a live GET', async () => {
    h.objects.push({
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentRuntime',
      metadata: { name: 'brand-new', namespace: NS },
      spec: { image: 'img', authEnvVar: 'TOKEN', configPath: '/c', persistPath: '/p' },
    });
    const { response } = await h.post('/validate', fullJob({ runtimeRef: 'brand-new' }));
    expect(response.allowed).toBe(true);
    expect(h.calls).toContain(
      `GET /apis/thurkube.thurbeen.eu/v1alpha1/namespaces/${NS}/agentruntimes/brand-new`,
    );
  });

  const schedules: [string, string][] = [
    ['61 * * * *', 'minute 61 out of range 0-59'],
    ['0 24 * * *', 'hour 24 out of range 0-23'],
    ['0 0 0 * *', 'day of month 0 out of range 1-31'],
    ['0 0 1 13 *', 'month 13 out of range 1-12'],
    ['0 0 * * 7', 'day of week 7 out of range 0-6'],
    ['0 0 * * 1L', 'day of week "1L" is not a number or a name (sun-sat)'],
    ['0 0 * * MON#2', 'day of week "MON#2" is not a number or a name (sun-sat)'],
    ['H * * * *', 'minute "H" is not a number'],
    ['*/0 * * * *', 'minute step "0" must be a positive number'],
    ['30-10 * * * *', 'minute range 30-10 goes backwards'],
    [
      '0 0 * * * *',
      'expected 5 fields (minute hour day-of-month month day-of-week), found 6 (a seconds field is not supported)',
    ],
    ['0 0 * *', 'expected 5 fields (minute hour day-of-month month day-of-week), found 4'],
    [
      '@every 1h',
      'unknown macro; use five fields or one of @yearly @annually @monthly @weekly @daily @midnight @hourly',
    ],
    [
      'CRON_TZ=Europe/Paris 0 9 * * *',
      'TZ= and CRON_TZ= are not allowed in a schedule; set spec.timezone instead',
    ],
    ['TZ=UTC 0 9 * * *', 'TZ= and CRON_TZ= are not allowed in a schedule; set spec.timezone instead'],
  ];
  for (const [schedule, problem] of schedules) {
    it(`refuses the schedule "${schedule}": ${problem}`, async () => {
      const { response } = await h.post('/validate', fullJob({ schedule }));
      expect(response.status?.message).toBe(
        `AgentJob "pr-fixer" is invalid: spec.schedule: "${schedule}": ${problem}`,
      );
    });
  }

  for (const schedule of [
    '@yearly',
    '@annually',
    '@monthly',
    '@weekly',
    '@daily',
    '@midnight',
    '@hourly',
    '*/15 9-17 * JAN-MAR mon-fri',
    '0 0 ? * sun',
    '5/10 * 1,15 * *',
  ]) {
    it(`accepts the schedule "${schedule}"`, async () => {
      const { response } = await h.post('/validate', fullJob({ schedule }));
      expect(response).toMatchObject({ allowed: true });
      expect(response.warnings).toBeUndefined();
    });
  }

  it('warns about a schedule that never fires (30 February) and admits it', async () => {
    const { response } = await h.post('/validate', fullJob({ schedule: '0 0 30 2 *' }));
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual(['spec.schedule: "0 0 30 2 *" never fires, so the agent never runs']);
  });

  for (const timezone of ['Mars/Olympus', 'europe/paris', 'Local', '+01:00']) {
    it(`refuses the time zone "${timezone}"`, async () => {
      const { response } = await h.post('/validate', fullJob({ timezone }));
      expect(response.status?.message).toBe(
        `AgentJob "pr-fixer" is invalid: spec.timezone: "${timezone}" is not an IANA time zone (e.g. Europe/Paris)`,
      );
    });
  }

  for (const timezone of [
    'Etc/UTC',
    'Europe/Paris',
    'America/Argentina/Buenos_Aires',
    'UTC',
    'Asia/Kolkata',
  ]) {
    it(`accepts the time zone "${timezone}"`, async () => {
      expect((await h.post('/validate', fullJob({ timezone }))).response.allowed).toBe(true);
    });
  }

  it('refuses a scheduled name longer than 52 characters, with the limit in the message', async () => {
    const name = 'a'.repeat(53);
    const { response } = await h.post('/validate', fullJob({}, name));
    expect(response.status?.message).toBe(
      `AgentJob "${name}" is invalid: metadata.name: "${name}" is 53 characters; a scheduled AgentJob may have at most 52 (its CronJob is named N)`,
    );
  });

  it('refuses a one-shot name longer than 46 characters and accepts 46', async () => {
    const long = 'b'.repeat(47);
    const { response } = await h.post('/validate', fullJob({ schedule: undefined }, long));
    expect(response.status?.message).toContain(
      'a one-shot AgentJob may have at most 46 (its Job is named N-<16 hex digits>)',
    );
    expect(
      (await h.post('/validate', fullJob({ schedule: undefined }, 'b'.repeat(46)))).response.allowed,
    ).toBe(true);
  });

  it('refuses a prompt whose rendered config does not fit in a ConfigMap', async () => {
    const { response } = await h.post('/validate', fullJob({ prompt: 'x'.repeat(1024 * 1024) }));
    expect(response.status?.message).toMatch(
      /^AgentJob "pr-fixer" is invalid: spec: the rendered agent config is \d+ bytes, more than a ConfigMap holds \(1048576\)/,
    );
  });

  it('dry-runs the CronJob it would create and maps the env path back to spec.env', async () => {
    const { response } = await h.post(
      '/validate',
      fullJob({
        env: [
          { name: 'OK', value: '1' },
          { name: 'BAD=NAME', value: '2' },
        ],
      }),
    );
    expect(response.status?.message).toBe(
      'AgentJob "pr-fixer" is invalid: spec.env[1].name: Invalid value: "BAD=NAME": ' +
        "a valid environment variable name must consist only of printable ASCII characters other than '='",
    );
    expect(h.calls).toContain(
      `POST /apis/batch/v1/namespaces/${NS}/cronjobs?dryRun=All&fieldManager=thurkube`,
    );
  });

  it('dry-runs a Job for a one-shot AgentJob', async () => {
    const { response } = await h.post('/validate', fullJob({ schedule: undefined, env: [{ name: 'A=B' }] }));
    expect(response.status?.message).toContain('spec.env[0].name: Invalid value: "A=B"');
    expect(h.calls).toContain(`POST /apis/batch/v1/namespaces/${NS}/jobs?dryRun=All&fieldManager=thurkube`);
  });

  it('warns when the auth Secret or a repository token Secret is missing or lacks its key', async () => {
    h.objects.push(
      {
        apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
        kind: 'AgentAuth',
        metadata: { name: 'no-secret', namespace: NS },
        spec: { secretRef: { name: 'absent', key: 'token' } },
      },
      {
        apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
        kind: 'Repository',
        metadata: { name: 'wrong-key', namespace: NS },
        spec: { owner: 'a', name: 'b', tokenSecretRef: { name: 'github-token', key: 'pat' } },
      },
    );
    const { response } = await h.post(
      '/validate',
      fullJob({ authRef: 'no-secret', repositoryRefs: ['wrong-key'] }),
    );
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([
      `AgentAuth "no-secret": Secret "absent" not found in namespace "${NS}"; runs fail until it exists`,
      'Repository "wrong-key": Secret "github-token" has no key "pat"',
    ]);
  });

  it('does not judge an update that leaves the spec as it was (finalizers, labels)', async () => {
    const review = capturedReview('validate-agentjob-update');
    if (!review.request.object || !review.request.oldObject) throw new Error('bad fixture');
    review.request.object.spec.runtimeRef = 'gone';
    review.request.oldObject.spec = structuredClone(review.request.object.spec);
    expect((await h.post('/validate', review)).response.allowed).toBe(true);
    review.request.oldObject.spec.prompt = 'before';
    expect((await h.post('/validate', review)).response.status?.message).toContain(
      'AgentRuntime "gone" not found',
    );
  });
});

describe('with --dry-run-children=false', () => {
  it('sends no dry-run, so the webhook needs no create rights on jobs and cronjobs', async () => {
    const quiet = await startHarness({ settings: { missingRefs: 'deny', dryRunChildren: false } });
    try {
      const { response } = await quiet.post('/validate', reviewWith('validate-agentjob-create'));
      expect(response.allowed).toBe(true);
      expect(quiet.calls.filter((c) => c.includes('dryRun'))).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe('the no-op route', () => {
  it('decodes a review and allows it without deciding anything, echoing the uid', async () => {
    const review = reviewWith('validate-agentjob-create', { runtimeRef: 'does-not-exist' });
    const { status, response } = await h.post('/noop', review);
    expect(status).toBe(200);
    expect(response).toEqual({ uid: review.request.uid, allowed: true });
  });

  it('still refuses what is not an AdmissionReview', async () => {
    const res = await h.request('/noop', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"kind":"x"}',
    });
    expect(res.status).toBe(400);
  });
});
