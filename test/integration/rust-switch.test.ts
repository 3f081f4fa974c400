/**
 * Switching from the Rust original, on a cluster of its own (it installs older CRDs, which would
 * disturb the suites sharing the main one). The original's state is built as it writes it (see
 * the API reference): its CRDs in a Helm release with crds.install, its ConfigMaps, a one-shot Job
 * `N-<sha256(agent.json)[:16]>` and a CronJob, its status. Then:
 * - our controller on those CRDs writes nothing and says what to run (log, /readyz, an event);
 * - the README's steps, in order, start no run by themselves: the original's live Job is adopted
 *   as the current run, a run whose Job is gone is not run again, the CronJob is updated in place;
 *   suspend works on an adopted Job; removing the original's release keeps the CRDs and the
 *   AgentJobs; only a real change starts a new run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningController } from '../../controller/controller.js';
import { type ClusterState, startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { RUN_FOR_ENV } from '../../dev/cluster/kwok-stages.js';
import { KIND_NAMES } from '../../shared/api.js';
import { buildCrd, crdName } from '../../shared/crd/build.js';
import type { OpenApiSchema } from '../../shared/crd/openapi.js';
import { childLabels, FIELD_MANAGER } from '../../shared/labels.js';
import { parseSpec } from '../../shared/objects.js';
import { agentConfig, agentJson } from '../../shared/render/agent-config.js';
import { ownerReference } from '../../shared/render/children.js';
import { legacyConfigHash } from '../../shared/render/legacy.js';
import { example } from '../fixtures/load.js';
import { minimalInput } from '../fixtures/render.js';
import { clusterFrom, eventually } from '../support/testing.js';
import {
  agentJobs,
  applyManifest,
  applyReferences,
  type Cluster,
  eventsAbout,
  getAgentJob,
  startTestController,
  statusWhen,
} from './controller-helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let state: ClusterState;
let cluster: Cluster;
let ns = '';
let chartDir = '';

/** The fields the Rust original declares (API reference), the others dropped from ours. */
const ORIGINAL_FIELDS: Record<string, { spec?: string[]; status?: string[] }> = {
  AgentJob: {
    spec: [
      'schedule',
      'timezone',
      'suspend',
      'runtimeRef',
      'authRef',
      'roleRef',
      'skillRef',
      'clusterAccessRef',
      'mcpServerRefs',
      'repositoryRefs',
      'prompt',
      'instructions',
      'model',
      'resources',
      'timeoutSeconds',
      'env',
      'envFrom',
      'persist',
    ],
    status: [
      'phase',
      'lastRunTime',
      'lastCompletionTime',
      'message',
      'observedGeneration',
      'configHash',
      'ownedResources',
      'conditions',
    ],
  },
  AgentRuntime: { spec: ['image', 'command', 'authEnvVar', 'configPath', 'persistPath'] },
};

const keep = (schema: OpenApiSchema | undefined, fields: string[] | undefined) => {
  if (!schema?.properties || !fields) return;
  for (const key of Object.keys(schema.properties)) if (!fields.includes(key)) delete schema.properties[key];
};

/** Our CRDs cut down to the original's: its condition has no observedGeneration, its phase no enum. */
function originalCrds(): object[] {
  return KIND_NAMES.map((kind) => {
    const crd = structuredClone(buildCrd(kind));
    const version = (crd.spec.versions as Record<string, unknown>[])[0] ?? {};
    const root = (version.schema as { openAPIV3Schema: OpenApiSchema }).openAPIV3Schema;
    keep(root.properties?.spec, ORIGINAL_FIELDS[kind]?.spec);
    const status = root.properties?.status;
    keep(status, ORIGINAL_FIELDS[kind]?.status);
    if (status?.properties?.phase) status.properties.phase.enum = undefined;
    delete status?.properties?.conditions?.items?.properties?.observedGeneration;
    if (kind === 'AgentJob')
      version.additionalPrinterColumns = (version.additionalPrinterColumns as object[]).slice(0, 4);
    return crd;
  });
}

/** A stand-in for the original's chart: its CRDs as templates behind crds.install, and its Deployment. */
function writeOriginalChart(dir: string): void {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: thurkube-rs\nversion: 0.9.0\n');
  writeFileSync(join(dir, 'values.yaml'), 'crds:\n  install: true\n');
  const crds = originalCrds()
    .map((c) => JSON.stringify(c))
    .join('\n---\n');
  writeFileSync(join(dir, 'templates', 'crds.yaml'), `{{- if .Values.crds.install }}\n${crds}\n{{- end }}\n`);
  writeFileSync(
    join(dir, 'templates', 'deployment.yaml'),
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'thurkube-rs' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'thurkube-rs' } },
        template: {
          metadata: { labels: { app: 'thurkube-rs' } },
          spec: { containers: [{ name: 'operator', image: 'ghcr.io/thurbeen/thurkube:0.9.0' }] },
        },
      },
    }),
  );
}

const identityOf = async (name: string) => ({
  name,
  namespace: ns,
  uid: (await getAgentJob(cluster, ns, name)).metadata.uid,
});

/** agent.json as the original writes it: serde's pretty JSON, our bytes without the last newline. */
function originalAgentJson(spec: Record<string, unknown>): string {
  const parsed = parseSpec('AgentJob', spec);
  if (!parsed.ok) throw new Error('bad spec');
  return agentJson(agentConfig(parsed.value, minimalInput().refs)).replace(/\n$/, '');
}

async function apply(object: object, fieldManager = FIELD_MANAGER, subresource?: string): Promise<void> {
  const args = ['apply', '--server-side', `--field-manager=${fieldManager}`, '--force-conflicts', '-n', ns];
  if (subresource) args.push(`--subresource=${subresource}`);
  const res = await cluster.kubectl([...args, '-f', '-'], JSON.stringify(object));
  if (res.code !== 0) throw new Error(`kubectl apply failed: ${res.stderr}`);
}

/** Pod template of the original (API reference): agent container, token last, locked down, emptyDirs. */
function originalPod(id: { name: string; namespace: string; uid: string }, spec: Record<string, unknown>) {
  return {
    metadata: { labels: childLabels(id), namespace: id.namespace },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: 'default',
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      activeDeadlineSeconds: 3600,
      containers: [
        {
          name: 'agent',
          image: 'ghcr.io/thurbeen/claude-code-job:latest',
          env: [
            { name: 'HOME', value: '/home/agent' },
            ...((spec.env as object[]) ?? []),
            {
              name: 'CLAUDE_CODE_OAUTH_TOKEN',
              valueFrom: { secretKeyRef: { name: 'claude-oauth', key: 'token', optional: false } },
            },
          ],
          resources: {},
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [
            { name: 'agent-config', mountPath: '/etc/claude-code-job', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'home', mountPath: '/home/agent' },
          ],
        },
      ],
      volumes: [
        { name: 'agent-config', configMap: { name: `${id.name}-config` } },
        { name: 'tmp', emptyDir: {} },
        { name: 'home', emptyDir: {} },
      ],
    },
  };
}

const meta = (id: { name: string; namespace: string; uid: string }, name: string) => ({
  name,
  namespace: id.namespace,
  labels: childLabels(id),
  ownerReferences: [ownerReference(id)],
});

/** An AgentJob with what the original made of it: ConfigMap, Job or CronJob, status. */
async function asTheOriginalLeftIt(
  name: string,
  spec: Record<string, unknown>,
  child: 'live Job' | 'Job removed' | 'CronJob',
): Promise<string> {
  const aj = example('AgentJob', 'minimal');
  aj.metadata.name = name;
  aj.spec = { ...aj.spec, ...spec };
  await applyManifest(cluster, ns, aj);
  const id = await identityOf(name);
  const json = originalAgentJson(aj.spec);
  const hash = legacyConfigHash(json);
  const jobName = `${name}-${hash}`;
  await apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(id, `${name}-config`),
    data: { 'agent.json': json },
  });
  const jobSpec = {
    template: originalPod(id, aj.spec),
    backoffLimit: 0,
    activeDeadlineSeconds: 3600,
    ttlSecondsAfterFinished: 86_400,
  };
  if (child === 'live Job')
    await apply({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(id, jobName), spec: jobSpec });
  if (child === 'CronJob')
    await apply({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta(id, name),
      spec: {
        schedule: aj.spec.schedule,
        timeZone: 'Etc/UTC',
        suspend: false,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels: childLabels(id) }, spec: jobSpec },
      },
    });
  const kind = child === 'CronJob' ? 'CronJob' : 'Job';
  const childName = child === 'CronJob' ? name : jobName;
  const started = new Date(Date.now() - (child === 'Job removed' ? 2 * 86_400_000 : 60_000));
  await apply(
    {
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentJob',
      metadata: { name, namespace: ns },
      status: {
        phase: child === 'CronJob' ? 'Scheduled' : 'Running',
        message: `reconciled ${kind}/${childName}`,
        configHash: hash,
        ownedResources: [
          { kind: 'ConfigMap', name: `${name}-config` },
          { kind, name: childName },
        ],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Reconciled',
            message: `${kind}/${childName}`,
            lastTransitionTime: started.toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
        lastRunTime: started.toISOString().replace('Z', '123456+00:00'),
      },
    },
    FIELD_MANAGER,
    'status',
  );
  return jobName;
}

const jobsOf = async (name: string) =>
  (
    await cluster.batch.listNamespacedJob({
      namespace: ns,
      labelSelector: `thurkube.thurbeen.eu/agentjob=${name}`,
    })
  ).items.map((j) => j.metadata?.name);

const legacy: Record<string, string> = {};

beforeAll(async () => {
  state = await startCluster({ dir: mkdtempSync(join(tmpdir(), 'thurkube-rust-switch-')) });
  cluster = clusterFrom(state.kubeconfig, state.binaries);
  chartDir = mkdtempSync(join(tmpdir(), 'thurkube-rs-chart-'));
  writeOriginalChart(chartDir);
  const installed = await cluster.helm([
    'install',
    'thurkube-rs',
    chartDir,
    '-n',
    'thurkube-rs',
    '--create-namespace',
  ]);
  if (installed.code !== 0) throw new Error(`helm install of the original failed: ${installed.stderr}`);
  await eventually(
    'the original CRDs',
    async () => (await cluster.kubectl(['get', 'crd', crdName('AgentJob')])).code === 0,
  );
  ns = await cluster.newNamespace('switch');
  await applyReferences(cluster, ns);
  legacy.fixer = await asTheOriginalLeftIt(
    'fixer',
    { env: [{ name: RUN_FOR_ENV, value: '8s' }] },
    'live Job',
  );
  legacy.long = await asTheOriginalLeftIt('long', { env: [{ name: RUN_FOR_ENV, value: '10m' }] }, 'live Job');
  legacy.done = await asTheOriginalLeftIt(
    'done',
    { prompt: 'Open the release pull request.' },
    'Job removed',
  );
  legacy.nightly = await asTheOriginalLeftIt('nightly', { schedule: '0 3 * * *' }, 'CronJob');
});
afterAll(async () => {
  if (state) await stopCluster(state);
});

describe('our controller on the original CRDs', () => {
  it('writes nothing that cannot succeed, and says what to run in /readyz and an event', async () => {
    const controller: RunningController = await startTestController(cluster, {
      namespace: ns,
      crdCheckIntervalMs: 500,
    });
    try {
      const problems = await eventually('the CRD check', () =>
        controller.ready().some((p) => p.includes('older than this controller'))
          ? controller.ready()
          : undefined,
      );
      // Other problems (a cache still syncing on a loaded machine) may come first.
      expect(problems.find((p) => p.startsWith('CRD agentjobs'))).toMatch(
        /^CRD agentjobs\.thurkube\.thurbeen\.eu is older than this controller: it lacks spec\.nodeSelector, spec\.tolerations, spec\.affinity, spec\.priorityClassName and \d+ more$/,
      );
      expect(problems.join('\n')).toContain('thurkube crd | kubectl apply -f -');
      const readyz = await fetch(`http://127.0.0.1:${controller.metricsPort}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toContain('thurkube crd | kubectl apply -f -');
      const event = await eventually('the CRDOutdated event', async () =>
        (await eventsAbout(cluster, 'default', crdName('AgentJob'))).find((e) => e.reason === 'CRDOutdated'),
      );
      expect(event.note).toContain('thurkube reconciles nothing until it is updated');
      // A few check periods: the CRDs are read again, nothing is written to an AgentJob or a child.
      await new Promise((r) => setTimeout(r, 2000));
      const patches = controller.metrics.registry
        .render()
        .split('\n')
        .filter((l) => /^thurkube_controller_kube_requests_total\{code="\d+",verb="PATCH"\}/.test(l));
      expect(patches).toEqual([]);
      expect((await getAgentJob(cluster, ns, 'fixer')).status?.configHash).toBe(
        legacy.fixer?.split('-').at(-1),
      );
    } finally {
      await controller.stop();
    }
  });
});

describe('switching by the README steps', () => {
  let controller: RunningController;
  afterAll(async () => controller?.stop());

  it('1-3: stop the original, update the CRDs, start thurkube: no run starts by itself', async () => {
    const scaled = await cluster.kubectl([
      '-n',
      'thurkube-rs',
      'scale',
      'deployment',
      'thurkube-rs',
      '--replicas=0',
    ]);
    expect(scaled.code, scaled.stderr).toBe(0);
    const crds = execFileSync('npx', ['tsx', join(ROOT, 'cmd', 'thurkube.ts'), 'crd'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const applied = await cluster.kubectl(['apply', '-f', '-'], crds);
    expect(applied.code, applied.stderr).toBe(0);
    const kept = await cluster.kubectl([
      'annotate',
      'crd',
      ...KIND_NAMES.map(crdName),
      'helm.sh/resource-policy=keep',
      '--overwrite',
    ]);
    expect(kept.code, kept.stderr).toBe(0);

    controller = await startTestController(cluster, { namespace: ns, crdCheckIntervalMs: 500 });
    await eventually('the controller to be ready', () => controller.ready().length === 0, 30_000);

    const fixer = await statusWhen(
      cluster,
      ns,
      'fixer',
      'the adopted run to succeed',
      (s) => s.phase === 'Succeeded',
      60_000,
    );
    expect(fixer.runs?.map((r) => [r.jobName, r.trigger, r.result])).toEqual([
      [legacy.fixer, 'Create', 'Succeeded'],
    ]);
    expect(fixer.configHash).not.toBe(legacy.fixer?.split('-').at(-1));
    expect(await jobsOf('fixer')).toEqual([legacy.fixer]);

    const done = await statusWhen(
      cluster,
      ns,
      'done',
      'the run whose Job is gone',
      (s) => s.phase === 'Unknown',
    );
    expect(done.runs?.[0]).toMatchObject({
      jobName: legacy.done,
      result: 'Unknown',
      reason: 'RunUnderRustOperator',
    });
    expect(done.message).toContain('ran under the Rust operator');
    expect(await jobsOf('done')).toEqual([]);

    await statusWhen(cluster, ns, 'nightly', 'Scheduled', (s) => s.phase === 'Scheduled' && !!s.nextRunTime);
    const cron = await cluster.batch.readNamespacedCronJob({ name: 'nightly', namespace: ns });
    expect(cron.spec?.jobTemplate.spec?.template.spec?.containers[0]?.terminationMessagePolicy).toBe(
      'FallbackToLogsOnError',
    );
    expect(await jobsOf('nightly')).toEqual([]);

    const long = await statusWhen(
      cluster,
      ns,
      'long',
      'the adopted run',
      (s) => s.runs?.[0]?.result === 'Running',
    );
    expect(long.runs?.[0]?.jobName).toBe(legacy.long);
    await controller.queue.drained();
    expect(await jobsOf('long')).toEqual([legacy.long]);
  });

  it('suspends an adopted run of the original, whose pod template is not ours', async () => {
    const aj = example('AgentJob', 'minimal');
    aj.metadata.name = 'long';
    aj.spec = { ...aj.spec, env: [{ name: RUN_FOR_ENV, value: '10m' }], suspend: true };
    await applyManifest(cluster, ns, aj);
    await statusWhen(cluster, ns, 'long', 'Suspended', (s) => s.phase === 'Suspended');
    const job = await cluster.batch.readNamespacedJob({ name: legacy.long ?? '', namespace: ns });
    expect(job.spec?.suspend).toBe(true);
    expect(await jobsOf('long')).toEqual([legacy.long]);
  });

  it("5: removes the original's release and keeps the CRDs and every AgentJob", async () => {
    const upgraded = await cluster.helm([
      'upgrade',
      'thurkube-rs',
      chartDir,
      '-n',
      'thurkube-rs',
      '--reuse-values',
      '--set',
      'crds.install=false',
    ]);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    const removed = await cluster.helm(['uninstall', 'thurkube-rs', '-n', 'thurkube-rs']);
    expect(removed.code, removed.stderr).toBe(0);
    for (const kind of KIND_NAMES)
      expect((await cluster.kubectl(['get', 'crd', crdName(kind)])).code, kind).toBe(0);
    const list = (await cluster.custom.listNamespacedCustomObject({ ...agentJobs, namespace: ns })) as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['done', 'fixer', 'long', 'nightly']);
  });

  it('starts a new run only on a real change', async () => {
    const aj = example('AgentJob', 'minimal');
    aj.metadata.name = 'fixer';
    aj.spec = { ...aj.spec, env: [{ name: RUN_FOR_ENV, value: '8s' }], prompt: 'Fix the failing tests.' };
    await applyManifest(cluster, ns, aj);
    const status = await statusWhen(
      cluster,
      ns,
      'fixer',
      'a new run',
      (s) => s.runs?.[0]?.trigger === 'SpecChange',
    );
    expect(status.runs?.[0]?.jobName).toBe(`fixer-${status.configHash}`);
    expect(status.runs?.[1]?.jobName).toBe(legacy.fixer);
  });
});
