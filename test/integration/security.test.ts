/**
 * Cluster access that cannot be borrowed, on the real control plane: the admission webhook
 * (served in-process, registered by URL) and the controller in front of the API server, users
 * impersonated with `kubectl --as`. alice may edit thurkube objects (and create pods, Jobs,
 * Secrets and tokens) in her namespace and holds no cluster rights; the admin holds everything.
 * Each case is a path by which alice once reached rights she does not hold.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Admission, startAdmission } from '../../admission/main.js';
import type { RunningController } from '../../controller/controller.js';
import { installCrds } from '../../dev/cluster/crds.js';
import { LOCAL_CONTROLLER_USER } from '../../dev/local-stack.js';
import { KubeClient } from '../../shared/kube/client.js';
import { connectionFromKubeconfig } from '../../shared/kube/config.js';
import { ANNOTATION_AUTHORIZATION } from '../../shared/labels.js';
import { type Registration, registerWebhooks, testPki } from '../fixtures/admission/loopback.js';
import { example, type Manifest } from '../fixtures/load.js';
import { eventually, testCluster } from '../support/testing.js';
import {
  applyReferences,
  authorized,
  condition,
  getAgentJob,
  startTestController,
  statusWhen,
} from './controller-helpers.js';

const cluster = testCluster();
const pki = testPki();
const id = randomBytes(3).toString('hex');
const alice = `alice-${id}`;
const as = [`--as=${alice}`];

let admission: Admission;
let registration: Registration;
const controllers: RunningController[] = [];
const namespaces: string[] = [];
/** Watched by the webhooks. */
let esc = '';
/** Not watched by the webhooks: what is written there is written without them. */
let unwatched = '';

const everything = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
const readPods = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] };

const clusterAccess = (name: string, rules: object[]): Manifest => ({
  apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
  kind: 'ClusterAccess',
  metadata: { name },
  spec: { rules },
});

function agentJob(name: string, spec: Record<string, unknown> = {}): Manifest {
  const aj = example('AgentJob', 'minimal');
  aj.metadata.name = name;
  aj.spec = { ...aj.spec, ...spec };
  return aj;
}

const apply = (ns: string, objects: Manifest[], extra: string[] = []) =>
  cluster.kubectl(['apply', '-n', ns, ...extra, '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));

/** A namespace with this exact name (twins need `P` and `P-prod`), removed at the end. */
async function namespace(name: string, watched: boolean): Promise<string> {
  const labels: Record<string, string> = { 'thurkube-test': 'true' };
  if (watched) labels[registration.label] = 'true';
  await cluster.core.createNamespace({ body: { metadata: { name, labels } } });
  namespaces.push(name);
  await eventually(`the default ServiceAccount of ${name}`, async () =>
    cluster.core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(
      () => true,
      () => false,
    ),
  );
  await applyReferences(cluster, name);
  controllers.push(await startTestController(cluster, { namespace: name }));
  return name;
}

/** alice: every verb on thurkube kinds, and what lets her try a runner ServiceAccount, in `ns`. */
async function aliceIn(ns: string): Promise<void> {
  const steps = [
    [
      'create',
      'role',
      'editor',
      '-n',
      ns,
      '--verb=*',
      '--resource=agentjobs.thurkube.thurbeen.eu,agentruntimes.thurkube.thurbeen.eu,clusteraccesses.thurkube.thurbeen.eu,agentroles.thurkube.thurbeen.eu,pods,jobs.batch,cronjobs.batch,secrets,serviceaccounts,serviceaccounts/token',
    ],
    ['create', 'rolebinding', 'alice-edits', '-n', ns, '--role=editor', `--user=${alice}`],
  ];
  for (const args of steps) expect((await cluster.kubectl(args)).stderr).toBe('');
}

const clusterRole = (name: string) =>
  cluster.rbac.readClusterRole({ name }).then(
    (r) => r,
    () => undefined,
  );

beforeAll(async () => {
  await installCrds(cluster);
  admission = await startAdmission({
    kubeconfig: cluster.kubeconfig,
    host: '127.0.0.1',
    port: 0,
    tlsCertFile: pki.certFile,
    tlsKeyFile: pki.keyFile,
    // GitOps mode: missing references are warnings, and yet never a missing ClusterAccess.
    missingRefs: 'warn',
    logLevel: 'silent',
    controllerUsers: [LOCAL_CONTROLLER_USER],
  });
  registration = await registerWebhooks(
    new KubeClient(connectionFromKubeconfig(cluster.kubeconfig)),
    `thurkube-security-${id}`,
    admission.port,
    pki.ca.certPem,
  );
  esc = await namespace(`esc-${id}`, true);
  unwatched = await namespace(`unwatched-${id}`, false);
  await aliceIn(esc);
  // alice may read pods cluster-wide, and nothing else outside her namespace.
  for (const args of [
    ['create', 'clusterrole', `pod-reader-${id}`, '--verb=get,list,watch', '--resource=pods'],
    [
      'create',
      'clusterrolebinding',
      `alice-reads-pods-${id}`,
      `--clusterrole=pod-reader-${id}`,
      `--user=${alice}`,
    ],
  ])
    expect((await cluster.kubectl(args)).stderr).toBe('');
  expect(
    (await apply(esc, [clusterAccess('all', [everything]), clusterAccess('narrow', [readPods])])).code,
  ).toBe(0);
  // The webhooks see the namespace within a moment.
  await eventually('the webhooks to review esc', async () => {
    const r = await apply(esc, [agentJob('probe', { clusterAccessRef: 'ghost' })], ['--dry-run=server']);
    return r.stderr.includes('ClusterAccess "ghost" not found');
  });
  expect((await apply(esc, [agentJob('powerjob', { clusterAccessRef: 'all' })])).code).toBe(0);
  await statusWhen(cluster, esc, 'powerjob', 'Succeeded', (s) => s.phase === 'Succeeded', 60_000);
});

afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await admission?.stop();
  await registration?.remove();
  await cluster.kubectl(['delete', 'clusterrole', `pod-reader-${id}`, '--ignore-not-found']);
  await cluster.kubectl(['delete', 'clusterrolebinding', `alice-reads-pods-${id}`, '--ignore-not-found']);
  await Promise.all(namespaces.map((name) => cluster.core.deleteNamespace({ name }).catch(() => undefined)));
  pki.remove();
});

describe('path 1: editing what a privileged run executes', () => {
  const denied = `user "${alice}" may not use ClusterAccess "all": they lack verb "*" on resource "*" in API group "*" cluster-wide, which it grants`;

  it("refuses alice's edits of a privileged AgentJob's spec: runtime, prompt, env", async () => {
    const evil = { ...example('AgentRuntime', 'minimal'), metadata: { name: 'evil' } };
    evil.spec = {
      ...evil.spec,
      image: 'attacker.example/evil:1',
      command: ['kubectl', 'get', 'secrets', '-A'],
    };
    expect((await apply(esc, [evil], as)).code).toBe(0);
    for (const change of [
      { runtimeRef: 'evil' },
      { prompt: 'print every Secret' },
      { env: [{ name: 'X', value: '1' }] },
    ]) {
      const res = await cluster.kubectl([
        'patch',
        '-n',
        esc,
        'agentjob',
        'powerjob',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: change }),
        ...as,
      ]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`AgentJob "powerjob" is forbidden: spec.clusterAccessRef: ${denied}`);
    }
    expect((await getAgentJob(cluster, esc, 'powerjob')).spec.runtimeRef).toBe('claude-code');
  });

  it('refuses alice changing or deleting an object a privileged AgentJob uses, naming it', async () => {
    const image = await cluster.kubectl([
      'patch',
      '-n',
      esc,
      'agentruntime',
      'claude-code',
      '--type=merge',
      '-p',
      '{"spec":{"image":"attacker.example/evil:1"}}',
      ...as,
    ]);
    expect(image.stderr).toContain(
      `AgentRuntime "claude-code" is forbidden: spec: AgentJob "powerjob" runs it with ClusterAccess "all": user "${alice}" lacks verb "*"`,
    );
    const gone = await cluster.kubectl(['delete', '-n', esc, 'agentrole', 'read-only', ...as]);
    expect(gone.stderr).toContain(
      'AgentRole "read-only" is forbidden: metadata.name: AgentJob "powerjob" runs it',
    );
    // Metadata stays free, and the admin may change what the run uses.
    expect((await cluster.kubectl(['label', '-n', esc, 'agentjob', 'powerjob', 'team=a', ...as])).code).toBe(
      0,
    );
    expect(
      (await cluster.kubectl(['label', '-n', esc, 'agentruntime', 'claude-code', 'team=a', ...as])).code,
    ).toBe(0);
  });
});

describe('path 2: a ClusterAccess that did not exist, or grew, after the AgentJob was written', () => {
  it('refuses a missing ClusterAccess even in warn mode, where other missing references are warnings', async () => {
    const res = await apply(
      esc,
      [agentJob('dangling', { clusterAccessRef: 'later', skillRef: 'not-yet' })],
      as,
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('spec.clusterAccessRef: ClusterAccess "later" not found in namespace');
    expect(res.stderr).toContain('Warning: spec.skillRef: AgentSkill "not-yet" not found');
  });

  it('keeps a run at the rules that were authorized when its ClusterAccess is widened, until someone who holds them authorizes it', async () => {
    expect((await apply(esc, [agentJob('narrowjob', { clusterAccessRef: 'narrow' })], as)).code).toBe(0);
    const role = `thurkube-${esc}-narrowjob`;
    await eventually(
      'the ClusterRole of narrowjob',
      async () => (await clusterRole(role))?.rules?.length === 1,
    );
    // The admin widens it, for their own use.
    expect((await apply(esc, [clusterAccess('narrow', [readPods, everything])])).code).toBe(0);
    const outdated = await statusWhen(
      cluster,
      esc,
      'narrowjob',
      'the authorization outdated',
      (s) => condition(s, 'ClusterAccessAuthorized')?.reason === 'AuthorizationOutdated',
    );
    expect(condition(outdated, 'ClusterAccessAuthorized')?.message).toContain(
      `beyond what user "${alice}" was authorized for`,
    );
    expect((await clusterRole(role))?.rules).toEqual([readPods]);
    // alice cannot authorize it; the admin can.
    const byAlice = await cluster.kubectl([
      'annotate',
      '-n',
      esc,
      'agentjob',
      'narrowjob',
      'thurkube.thurbeen.eu/authorize=1',
      '--overwrite',
      ...as,
    ]);
    expect(byAlice.stderr).toContain(`user "${alice}" may not use ClusterAccess "narrow"`);
    await cluster.kubectl([
      'annotate',
      '-n',
      esc,
      'agentjob',
      'narrowjob',
      'thurkube.thurbeen.eu/authorize=2',
      '--overwrite',
    ]);
    await eventually('the ClusterRole to grow', async () => (await clusterRole(role))?.rules?.length === 2);
    const s = await statusWhen(
      cluster,
      esc,
      'narrowjob',
      'authorized',
      (st) => condition(st, 'ClusterAccessAuthorized')?.status === 'True',
    );
    expect(condition(s, 'ClusterAccessAuthorized')?.message).toContain(
      'authorized for user "thurkube-admin"',
    );
  });

  it('takes the rights away at once when the ClusterAccess is deleted', async () => {
    const role = `thurkube-${esc}-narrowjob`;
    expect(await clusterRole(role)).toBeDefined();
    expect((await cluster.kubectl(['delete', '-n', esc, 'clusteraccess', 'narrow'])).code).toBe(0);
    await eventually('the ClusterRole to go', async () => (await clusterRole(role)) === undefined);
    const s = await statusWhen(
      cluster,
      esc,
      'narrowjob',
      'RefsMissing',
      (st) => condition(st, 'Ready')?.reason === 'RefsMissing',
    );
    expect(s.message).toContain('ClusterAccess "narrow" not found');
    expect((await getAgentJob(cluster, esc, 'narrowjob')).metadata.finalizers ?? []).toEqual([]);
  });
});

describe('path 4: namespaces the webhook does not review', () => {
  it('grants nothing to an AgentJob written without the webhook, even with a copied authorization, and says why', async () => {
    const copied = (await getAgentJob(cluster, esc, 'powerjob')).metadata.annotations?.[
      ANNOTATION_AUTHORIZATION
    ];
    expect(copied).toBeDefined();
    const aj = agentJob('powerjob', { clusterAccessRef: 'all' });
    aj.metadata.annotations = { [ANNOTATION_AUTHORIZATION]: copied ?? '' };
    expect((await apply(unwatched, [clusterAccess('all', [everything]), aj])).code).toBe(0);
    const s = await statusWhen(
      cluster,
      unwatched,
      'powerjob',
      'not authorized',
      (st) => condition(st, 'Ready')?.reason === 'NotAuthorized',
    );
    expect(s.phase).toBe('Pending');
    expect(s.message).toContain(
      'ClusterAccess "all" is not granted: its recorded authorization was not signed by this installation for this AgentJob',
    );
    expect(s.message).toContain(
      `kubectl annotate agentjob powerjob -n ${unwatched} thurkube.thurbeen.eu/authorize=`,
    );
    expect(await clusterRole(`thurkube-${unwatched}-powerjob`)).toBeUndefined();
    const jobs = await cluster.batch.listNamespacedJob({
      namespace: unwatched,
      labelSelector: 'thurkube.thurbeen.eu/agentjob=powerjob',
    });
    expect(jobs.items).toEqual([]);
  });
});

describe('path 3: two AgentJobs whose cluster RBAC has the same name', () => {
  it('refuses the second at apply time, naming the owner', async () => {
    const team = await namespace(`tw-${id}`, true);
    const prod = await namespace(`tw-${id}-prod`, true);
    for (const ns of [prod, team])
      expect((await apply(ns, [clusterAccess('all', [everything])])).code).toBe(0);
    expect((await apply(prod, [agentJob('x', { clusterAccessRef: 'all' })])).code).toBe(0);
    await eventually('the admission cache to see x', async () => {
      const res = await apply(team, [agentJob('prod-x', { clusterAccessRef: 'all' })], ['--dry-run=server']);
      return res.stderr.includes(
        `metadata.name: the ClusterRole and ClusterRoleBinding "thurkube-${team}-prod-x" this AgentJob would be granted through already belong to AgentJob "x" in namespace "${prod}"`,
      );
    });
  });

  it("never takes over the other one: NameConflict, and deleting it leaves the owner's RBAC", async () => {
    // Written without the webhook, both with an authorization (as if from before this version).
    const team = await namespace(`un-${id}`, false);
    const prod = await namespace(`un-${id}-prod`, false);
    const rbac = `thurkube-${prod}-x`;
    for (const ns of [prod, team])
      expect((await apply(ns, [clusterAccess('all', [everything])])).code).toBe(0);
    expect(
      (await apply(prod, [await authorized(cluster, prod, agentJob('x', { clusterAccessRef: 'all' }))])).code,
    ).toBe(0);
    await eventually(
      'the ClusterRole of x',
      async () => (await clusterRole(rbac))?.metadata?.labels?.['thurkube.thurbeen.eu/agentjob'] === 'x',
    );
    expect(
      (await apply(team, [await authorized(cluster, team, agentJob('prod-x', { clusterAccessRef: 'all' }))]))
        .code,
    ).toBe(0);
    const s = await statusWhen(
      cluster,
      team,
      'prod-x',
      'NameConflict',
      (st) => condition(st, 'Ready')?.reason === 'NameConflict',
    );
    expect(s.message).toBe(
      `ClusterRole and ClusterRoleBinding "${rbac}" belong to AgentJob "x" in namespace "${prod}"; rename this AgentJob to run it with ClusterAccess "all"`,
    );
    const owner = await clusterRole(rbac);
    expect(owner?.metadata?.labels?.['thurkube.thurbeen.eu/agentjob-namespace']).toBe(prod);
    expect((await cluster.kubectl(['delete', '-n', team, 'agentjob', 'prod-x', '--wait=true'])).code).toBe(0);
    expect((await clusterRole(rbac))?.metadata?.uid).toBe(owner?.metadata?.uid);
    expect(
      (await statusWhen(cluster, prod, 'x', 'Ready', (st) => condition(st, 'Ready')?.status === 'True'))
        .phase,
    ).not.toBe('Pending');
  });
});

describe("the runner ServiceAccount: only thurkube's own runs may use it", () => {
  const pod = (name: string, serviceAccountName: string): Manifest => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { serviceAccountName, containers: [{ name: 'c', image: 'attacker.example/evil:1' }] },
  });

  it('refuses alice a Pod, Job, CronJob, token Secret or token of powerjob-runner, and leaves other -runner accounts alone', async () => {
    const template = {
      spec: {
        serviceAccountName: 'powerjob-runner',
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'x' }],
      },
    };
    const attempts: [Manifest, string][] = [
      [
        pod('steal', 'powerjob-runner'),
        'Pod "steal" is forbidden: spec.serviceAccountName: ServiceAccount "powerjob-runner" runs AgentJob "powerjob" with its ClusterAccess rights',
      ],
      [
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'steal' }, spec: { template } },
        'only thurkube creates Jobs that use it',
      ],
      [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'steal' },
          spec: { schedule: '@daily', jobTemplate: { spec: { template } } },
        },
        'only thurkube writes CronJobs that use it',
      ],
      [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'steal',
            annotations: { 'kubernetes.io/service-account.name': 'powerjob-runner' },
          },
          type: 'kubernetes.io/service-account-token',
        } as unknown as Manifest,
        'no long-lived token Secret may be made for it',
      ],
    ];
    for (const [manifest, message] of attempts) {
      const res = await apply(esc, [manifest], as);
      expect(res.code, `${manifest.kind} steal`).not.toBe(0);
      expect(res.stderr).toContain(message);
    }
    const token = await cluster.kubectl(['create', 'token', 'powerjob-runner', '-n', esc, ...as]);
    expect(token.stderr).toContain('only the kubelet may request its tokens');
    // A ServiceAccount thurkube did not make is not guarded, whatever its name.
    expect((await cluster.kubectl(['create', 'serviceaccount', 'ci-runner', '-n', esc, ...as])).code).toBe(0);
    await eventually(
      'the ci-runner pod to be admitted',
      async () => (await apply(esc, [pod('ci', 'ci-runner')], as)).code === 0,
    );
  });

  it('lets the admin still change powerjob once its runner exists (the webhook dry-runs its Job)', async () => {
    // Regression: the dry-run of the child Job, sent by the webhook itself, was refused by the guard.
    const res = await cluster.kubectl([
      'patch',
      '-n',
      esc,
      'agentjob',
      'powerjob',
      '--type=merge',
      '-p',
      '{"spec":{"timeoutSeconds":1800}}',
      '--dry-run=server',
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const asAlice = await apply(
      esc,
      [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'dry' },
          spec: { serviceAccountName: 'powerjob-runner', containers: [{ name: 'c', image: 'x' }] },
        },
      ],
      [...as, '--dry-run=server'],
    );
    expect(asAlice.code).toBe(0);
  });

  it("admits powerjob's own run: the Job controller's pod, stamped with the runner's uid", async () => {
    const pods = await cluster.core.listNamespacedPod({
      namespace: esc,
      labelSelector: 'thurkube.thurbeen.eu/agentjob=powerjob',
    });
    const runner = await cluster.core.readNamespacedServiceAccount({
      name: 'powerjob-runner',
      namespace: esc,
    });
    expect(pods.items.map((p) => p.metadata?.annotations?.['thurkube.thurbeen.eu/runner-uid'])).toEqual([
      runner.metadata?.uid,
    ]);
    expect(pods.items[0]?.spec?.serviceAccountName).toBe('powerjob-runner');
  });
});
