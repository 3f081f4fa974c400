/** Shared steps of the controller suites: start a controller, write objects, read status. */

import { afterAll, beforeAll } from 'vitest';
import { type RunningController, startController } from '../../controller/controller.js';
import { installCrds } from '../../dev/cluster/crds.js';
import { GROUP, KIND_NAMES, NAMES, VERSION } from '../../shared/api.js';
import { authorizationTime, signAuthorization, specDigest } from '../../shared/authorization.js';
import { DEFAULT_ACCESS_KEY, loadAccessKey } from '../../shared/kube/access-key.js';
import { KubeClient, type KubeObject } from '../../shared/kube/client.js';
import { loadKubeConfig } from '../../shared/kube/config.js';
import { ourResource } from '../../shared/kube/resources.js';
import { ANNOTATION_AUTHORIZATION } from '../../shared/labels.js';
import { createLogger } from '../../shared/log.js';
import { parseSpec } from '../../shared/objects.js';
import type { AgentJobStatus } from '../../shared/schemas/agent-job.js';
import type { ClusterAccessSpec } from '../../shared/schemas/references.js';
import { example, type Manifest } from '../fixtures/load.js';
import { type clusterFrom, eventually } from '../support/testing.js';

export type Cluster = ReturnType<typeof clusterFrom>;

export async function startTestController(
  cluster: Cluster,
  overrides: Partial<Parameters<typeof startController>[0]> = {},
): Promise<RunningController> {
  return startController(
    {
      kubeconfig: cluster.kubeconfig,
      leaderElect: false,
      leaseNamespace: 'default',
      leaseName: 'thurkube-controller',
      concurrency: 8,
      metricsHost: '127.0.0.1',
      metricsPort: 0,
      ...overrides,
    },
    createLogger('controller', (process.env.THURKUBE_TEST_LOG as 'info') ?? 'silent'),
  );
}

/**
 * `manifest` with the authorization the mutating webhook would record for the suite's admin
 * (shared/authorization.ts), signed with the cluster's key: what the controller suites, which run
 * the controller without the webhook, give an AgentJob with a clusterAccessRef.
 */
export async function authorized(cluster: Cluster, namespace: string, manifest: Manifest): Promise<Manifest> {
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfig));
  const key = await loadAccessKey(client, DEFAULT_ACCESS_KEY);
  const spec = parseSpec('AgentJob', manifest.spec);
  if (!spec.ok || !spec.value.clusterAccessRef)
    throw new Error('authorized() needs an AgentJob with a clusterAccessRef');
  const access = await client.get<KubeObject & { spec: ClusterAccessSpec }>(ourResource('ClusterAccess'), {
    namespace,
    name: spec.value.clusterAccessRef,
  });
  const value = signAuthorization(
    key,
    { namespace, name: manifest.metadata.name },
    {
      user: 'admin',
      clusterAccess: spec.value.clusterAccessRef,
      rules: access.spec.rules,
      spec: specDigest(spec.value),
      time: authorizationTime(new Date()),
    },
  );
  const annotations = { ...(manifest.metadata.annotations ?? {}), [ANNOTATION_AUTHORIZATION]: value };
  return { ...manifest, metadata: { ...manifest.metadata, annotations } };
}

export async function applyManifest(
  cluster: Cluster,
  namespace: string,
  manifest: Manifest | object,
): Promise<void> {
  const res = await cluster.kubectl(
    ['apply', '--server-side', '--field-manager=tests', '-n', namespace, '-f', '-'],
    JSON.stringify(manifest),
  );
  if (res.code !== 0) throw new Error(`kubectl apply failed: ${res.stderr}`);
}

/**
 * Every object the example AgentJobs refer to: the auth Secret, the full example of each kind,
 * plus the minimal AgentRole ("read-only") and McpServer ("docs") that the examples name too.
 */
export async function applyReferences(cluster: Cluster, namespace: string): Promise<void> {
  await applyManifest(cluster, namespace, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'claude-oauth' },
    stringData: { token: 'not-a-real-token' },
  });
  // Every referenced kind, in the order of KIND_NAMES (runtimes first).
  for (const kind of KIND_NAMES.filter((k) => k !== 'AgentJob'))
    await applyManifest(cluster, namespace, example(kind, 'full'));
  await applyManifest(cluster, namespace, example('AgentRole', 'minimal'));
  await applyManifest(cluster, namespace, example('McpServer', 'minimal'));
}

export const agentJobs = { group: GROUP, version: VERSION, plural: NAMES.AgentJob.plural };

export async function getAgentJob(cluster: Cluster, namespace: string, name: string) {
  return (await cluster.custom.getNamespacedCustomObject({ ...agentJobs, namespace, name })) as {
    metadata: {
      uid: string;
      generation: number;
      finalizers?: string[];
      annotations?: Record<string, string>;
    };
    spec: Record<string, unknown>;
    status?: AgentJobStatus;
  };
}

/**
 * A suite with its own namespace (Pod Security `restricted` enforced), the references of the
 * examples in it, and a controller watching it; stopped and removed after the suite.
 */
export function controllerSuite(
  cluster: Cluster,
  prefix: string,
  setup: (namespace: string) => Promise<void> = async () => {},
): { namespace(): string; controller(): RunningController } {
  let ns = '';
  let controller: RunningController | undefined;
  beforeAll(async () => {
    await installCrds(cluster);
    ns = await cluster.newNamespace(prefix, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    await applyReferences(cluster, ns);
    await setup(ns);
    controller = await startTestController(cluster, { namespace: ns });
  });
  afterAll(async () => {
    await controller?.stop();
    await cluster.deleteNamespaces();
  });
  return {
    namespace: () => ns,
    controller: () => {
      if (!controller) throw new Error('the suite controller has not started');
      return controller;
    },
  };
}

/** The events.k8s.io events about one object of a namespace. */
export async function eventsAbout(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<{ reason: string; note: string; type: string }[]> {
  const list = await cluster.kubectl([
    'get',
    'events.events.k8s.io',
    '-n',
    namespace,
    '-o',
    'json',
    '--field-selector',
    `regarding.name=${name}`,
  ]);
  return (JSON.parse(list.stdout) as { items: { reason: string; note: string; type: string }[] }).items;
}

/** Waits until the AgentJob's status satisfies `check`, and returns it. */
export function statusWhen(
  cluster: Cluster,
  namespace: string,
  name: string,
  what: string,
  check: (s: AgentJobStatus) => boolean,
  timeoutMs = 45_000,
): Promise<AgentJobStatus> {
  return eventually(
    `AgentJob ${namespace}/${name}: ${what}`,
    async () => {
      const aj = await getAgentJob(cluster, namespace, name);
      return aj.status && check(aj.status) ? aj.status : undefined;
    },
    timeoutMs,
  );
}

export const condition = (s: AgentJobStatus, type: string) => s.conditions?.find((c) => c.type === type);

/** Requests this controller sent that change something (anything but GET and watch). */
export function writesOf(controller: RunningController): number {
  const text = controller.metrics.registry.render();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^thurkube_controller_kube_requests_total\{code="\d+",verb="(\w+)"\} (\d+)/.exec(line);
    if (m && m[1] !== 'GET') total += Number(m[2]);
  }
  return total;
}
