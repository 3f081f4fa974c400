/**
 * `helm install` for real, on the real node: both Deployments from the image built from the
 * Dockerfile reach Available with their probes passing, the webhooks are served by the admission
 * pods, the controller pods elect a leader, AgentJobs applied with kubectl run the test agent
 * runtime in real containers (Succeeded, Failed, and one writing to its PVC) under Pod Security
 * `restricted`, `helm upgrade` to a new tag rolls both Deployments without a refused review, and
 * `helm uninstall` leaves the CRDs and the users' objects.
 *
 * Loopback only: the pods share the node's network and bind 127.0.0.1, the webhooks are
 * registered by URL to 127.0.0.1, in-cluster clients dial the API server at 127.0.0.1.
 */
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REAL_NODE_NAME } from '../../dev/cluster/node/constants.js';
import { run } from '../../dev/cluster/run.js';
import { IMAGES } from '../../dev/images/versions.js';
import { CHART } from '../../dev/local-stack.js';
import { installOnRealNode, type RealStack } from '../../dev/real-stack.js';
import { realNodeNamespace, testAgentJob, testAgentObjects } from '../support/test-agent.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
const node = inject('realNode');
const apiServer = inject('apiServer');
let stack: RealStack;
let ns = '';
let pvDir = '';

interface Deployment {
  spec: { replicas: number };
  status: {
    availableReplicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    observedGeneration?: number;
  };
  metadata: { generation: number };
}
interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string; hostNetwork?: boolean; containers: { image: string }[] };
  status: {
    phase: string;
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      state: { terminated?: { exitCode: number } };
    }[];
  };
}

const json = async <T>(args: string[]): Promise<T> => {
  const r = await cluster.kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
};
const apply = async (yaml: string) => {
  const r = await cluster.kubectl(['apply', '-f', '-'], yaml);
  return r;
};
const helm = (args: string[]) => run(cluster.binaries.helm, ['--kubeconfig', cluster.kubeconfig, ...args]);
const deployment = (name: string) => json<Deployment>(['get', 'deployment', '-n', 'thurkube-system', name]);
const podsOf = async (component: string) =>
  (
    await json<{ items: Pod[] }>([
      'get',
      'pods',
      '-n',
      'thurkube-system',
      '-l',
      `app.kubernetes.io/component=${component}`,
    ])
  ).items;

const agentJob = (name: string, extra = '') => testAgentJob(ns, name, extra);

interface AgentJobStatus {
  status?: { phase?: string; ownedResources?: unknown };
}
const phaseOf = async (name: string) =>
  (await json<AgentJobStatus>(['get', 'agentjob', '-n', ns, name])).status?.phase;

/** The run's pod (the Job's) and its logs: the test agent's report line. */
async function runOf(name: string): Promise<{
  pod: Pod;
  report: { ok: boolean; prompt: string; failed: string[]; persist?: { previousRuns: number } };
}> {
  const pods = await json<{ items: Pod[] }>([
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `thurkube.thurbeen.eu/agentjob=${name}`,
  ]);
  const pod = pods.items[0];
  if (!pod) throw new Error(`no pod for AgentJob ${name}`);
  const logs = await cluster.kubectl(['logs', '-n', ns, pod.metadata.name]);
  if (logs.code !== 0) throw new Error(logs.stderr);
  const line = logs.stdout.split('\n').find((l) => l.includes('"thurkubeTestAgent"'));
  if (!line) throw new Error(`no report in the logs of ${pod.metadata.name}:\n${logs.stdout}`);
  return { pod, report: JSON.parse(line) };
}

beforeAll(async () => {
  stack = await installOnRealNode({
    kubeconfig: cluster.kubeconfig,
    helm: cluster.binaries.helm,
    kubectl: cluster.binaries.kubectl,
    apiServer,
  });
  ns = await realNodeNamespace(cluster, 'agents');
  const objects = await apply(testAgentObjects(ns));
  expect(objects.code, objects.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await helm(['uninstall', 'thurkube', '--namespace', 'thurkube-system', '--wait']).catch(() => undefined);
  await cluster.deleteNamespaces();
  // The volume's data outlives the cluster (hostPath, Retain): it is this test's to remove.
  if (pvDir) rmSync(pvDir, { recursive: true, force: true });
});

describe('helm install on the real node', () => {
  it('brings both Deployments to Available on the real node, probes passing (admission 2/2, controller 1/1)', async () => {
    // Available: Ready for minReadySeconds (5 s with hostNetwork, see the chart), after helm's --wait.
    await eventually(
      'admission 2/2 and controller 1/1 available',
      async () =>
        (await deployment('thurkube-admission')).status.availableReplicas === 2 &&
        (await deployment('thurkube-controller')).status.availableReplicas === 1,
      60_000,
      500,
    );
    for (const pod of [...(await podsOf('admission')), ...(await podsOf('controller'))]) {
      expect(pod.spec.nodeName).toBe(REAL_NODE_NAME);
      expect(pod.spec.hostNetwork).toBe(true);
      expect(pod.spec.containers[0]?.image).toBe(IMAGES.product);
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
      expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);
    }
  });

  it('differs from Pod Security restricted only by hostNetwork', async () => {
    const r = await cluster.kubectl([
      'label',
      '--dry-run=server',
      '--overwrite',
      'namespace',
      'thurkube-system',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // "Warning: existing pods ... violate ...", then one line per group of pods and what they violate.
    const [header, ...violations] = r.stderr.trim().split('\n');
    expect(header).toContain('violate the new PodSecurity enforce level "restricted:latest"');
    expect(violations.length).toBeGreaterThan(0);
    // Aggregated per group of pods: "Warning: <pod> (and 2 other pods): host namespaces".
    for (const line of violations) expect(line).toMatch(/^Warning: thurkube-.*: host namespaces$/);
  });

  it('serves the webhooks from the admission pods', async () => {
    const refused = await apply(agentJob('refused-by-webhook', '  schedule: "61 * * * *"'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('admission webhook "validate.thurkube.thurbeen.eu" denied the request');
    expect(refused.stderr).toContain('minute 61 out of range 0-59');
    const logs = await Promise.all(
      (await podsOf('admission')).map((p) =>
        cluster.kubectl(['logs', '-n', 'thurkube-system', p.metadata.name]),
      ),
    );
    expect(logs.some((l) => l.stdout.includes('"name":"refused-by-webhook"'))).toBe(true);
  });

  it('elects one leader among the controller pods, and another takes over when it goes', async () => {
    const scaled = await cluster.kubectl([
      'scale',
      'deployment',
      '-n',
      'thurkube-system',
      'thurkube-controller',
      '--replicas=2',
    ]);
    expect(scaled.code, scaled.stderr).toBe(0);
    await eventually(
      'two controllers available',
      async () => (await deployment('thurkube-controller')).status.availableReplicas === 2,
      120_000,
      500,
    );
    const leaderPod = async () => {
      const lease = await json<{ spec: { holderIdentity?: string } }>([
        'get',
        'lease',
        '-n',
        'thurkube-system',
        'thurkube-controller',
      ]);
      const pods = await podsOf('controller');
      const logs = await Promise.all(
        pods.map(async (p) => ({
          pod: p.metadata.name,
          logs: (await cluster.kubectl(['logs', '-n', 'thurkube-system', p.metadata.name])).stdout,
        })),
      );
      const leaders = logs.filter(
        (l) => l.logs.includes('became the leader') && l.logs.includes(lease.spec.holderIdentity ?? '?'),
      );
      return leaders.length === 1 ? leaders[0]?.pod : undefined;
    };
    const first = await eventually('one leader', leaderPod, 60_000, 500);
    const del = await cluster.kubectl(['delete', 'pod', '-n', 'thurkube-system', first ?? '']);
    expect(del.code, del.stderr).toBe(0);
    const second = await eventually(
      'a new leader',
      async () => {
        const pod = await leaderPod();
        return pod && pod !== first ? pod : undefined;
      },
      60_000,
      500,
    );
    expect(second).not.toBe(first);
    await cluster.kubectl([
      'scale',
      'deployment',
      '-n',
      'thurkube-system',
      'thurkube-controller',
      '--replicas=1',
    ]);
    await eventually(
      'back to one controller',
      async () => (await podsOf('controller')).length === 1,
      120_000,
      500,
    );
  });

  it('runs an AgentJob in the test agent runtime to Succeeded, restricted, every check passed', async () => {
    const r = await apply(agentJob('runs-ok'));
    expect(r.code, r.stderr).toBe(0);
    await eventually(
      'AgentJob runs-ok Succeeded',
      async () => (await phaseOf('runs-ok')) === 'Succeeded',
      120_000,
      500,
    );
    const { pod, report } = await runOf('runs-ok');
    expect(pod.spec.nodeName).toBe(REAL_NODE_NAME);
    expect(report).toMatchObject({ ok: true, prompt: 'Prompt of runs-ok.', failed: [] });
  });

  it('reports Failed when the agent fails', async () => {
    const r = await apply(agentJob('runs-fail', '  env: [{ name: THURKUBE_TEST_OUTCOME, value: fail }]'));
    expect(r.code, r.stderr).toBe(0);
    await eventually(
      'AgentJob runs-fail Failed',
      async () => (await phaseOf('runs-fail')) === 'Failed',
      120_000,
      500,
    );
    const { pod, report } = await runOf('runs-fail');
    expect(pod.status.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(1);
    expect(report).toMatchObject({ ok: false, steeredToFail: true, failed: [] });
  });

  it('writes a persist: true run’s data to its PVC', async () => {
    // No provisioner here: a hostPath PersistentVolume pre-bound to the claim the controller creates.
    pvDir = mkdtempSync(join(tmpdir(), 'thurkube-pv-'));
    chownSync(pvDir, 65532, 65532);
    const pv = await apply(`
apiVersion: v1
kind: PersistentVolume
metadata: { name: ${ns}-keeps-data }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: ${pvDir}, type: Directory }
  claimRef: { namespace: ${ns}, name: keeps-data-data }
`);
    expect(pv.code, pv.stderr).toBe(0);
    const r = await apply(agentJob('keeps-data', '  persist: true'));
    expect(r.code, r.stderr).toBe(0);
    await eventually(
      'AgentJob keeps-data Succeeded',
      async () => (await phaseOf('keeps-data')) === 'Succeeded',
      120_000,
      500,
    );
    const { report } = await runOf('keeps-data');
    expect(report).toMatchObject({ ok: true, persist: { previousRuns: 0 } });
    const runs = readFileSync(join(pvDir, 'thurkube-test-agent.runs'), 'utf8').trim().split('\n');
    expect(runs).toHaveLength(1);
  });

  it('rolls both Deployments to a new image tag with helm upgrade, refusing no review', async () => {
    const tagged = await run(node.ctr, [
      '--address',
      node.containerdSocket,
      '-n',
      'k8s.io',
      'images',
      'tag',
      IMAGES.product,
      'localhost/thurkube:upgrade',
    ]);
    expect(tagged.code, tagged.stderr).toBe(0);
    let attempts = 0;
    const refused: string[] = [];
    let rolling = true;
    const load = (async () => {
      while (rolling) {
        const name = `during-roll-${attempts++}`;
        const res = await apply(`
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: ${name}, namespace: ${ns} }
spec: { allowedTools: [Read] }
`);
        if (res.code !== 0) refused.push(`${name}: ${res.stderr.trim()}`);
      }
    })();
    const upgrade = await helm([
      'upgrade',
      stack.release,
      CHART,
      '--namespace',
      stack.namespace,
      ...stack.valueArgs,
      '--set-string',
      'image.tag=upgrade',
      '--wait',
      '--timeout',
      '5m',
    ]);
    rolling = false;
    await load;
    expect(upgrade.code, upgrade.stderr).toBe(0);
    for (const component of ['admission', 'controller']) {
      const pods = await eventually(
        `${component} pods all on the new tag`,
        async () => {
          const list = await podsOf(component);
          return list.every((p) => p.spec.containers[0]?.image === 'localhost/thurkube:upgrade')
            ? list
            : undefined;
        },
        120_000,
        500,
      );
      expect(pods.length).toBe(component === 'admission' ? 2 : 1);
    }
    expect(attempts).toBeGreaterThan(10);
    expect(refused).toEqual([]);
  });

  it('leaves the CRDs and the users’ objects on helm uninstall', async () => {
    const r = await helm(['uninstall', 'thurkube', '--namespace', 'thurkube-system', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    const crds = await cluster.kubectl([
      'get',
      'crd',
      '-l',
      'app.kubernetes.io/part-of=thurkube',
      '-o',
      'name',
    ]);
    expect(crds.stdout.trim().split('\n')).toHaveLength(8);
    const jobs = await json<{ items: { metadata: { name: string } }[] }>(['get', 'agentjobs', '-n', ns]);
    expect(jobs.items.map((j) => j.metadata.name).sort()).toEqual(['keeps-data', 'runs-fail', 'runs-ok']);
    const pvc = await cluster.kubectl(['get', 'pvc', '-n', ns, 'keeps-data-data']);
    expect(pvc.code, pvc.stderr).toBe(0);
    expect(existsSync(join(pvDir, 'thurkube-test-agent.runs'))).toBe(true);
    const deployments = await cluster.kubectl(['get', 'deployments', '-n', 'thurkube-system', '-o', 'name']);
    expect(deployments.stdout.trim()).toBe('');
  });
});
