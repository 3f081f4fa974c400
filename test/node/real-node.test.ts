/**
 * The real node: a kubelet built from the pinned module on Debian's containerd and runc, beside
 * kwok's node. Pods that tolerate its taint really run: a `restricted` pod to Completed, a failing
 * one leaves its exit code and last lines, `kubectl logs` and `kubectl exec` reach the container
 * (the API server dials the kubelet on loopback), and pods without the toleration stay on kwok.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_NODE_NAME, REAL_NODE_SCHEDULING, REAL_NODE_TAINT } from '../../dev/cluster/node/constants.js';
import { IMAGES } from '../../dev/images/versions.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
let ns = '';

const restricted = {
  pod: {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  container: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  },
};

function nodePod(name: string, script: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      restartPolicy: 'Never',
      ...REAL_NODE_SCHEDULING,
      securityContext: restricted.pod,
      containers: [
        {
          name: 'main',
          image: IMAGES.node,
          imagePullPolicy: 'Never',
          command: ['node', '-e', script],
          securityContext: restricted.container,
          ...extra,
        },
      ],
    },
  };
}

interface PodJson {
  spec: { nodeName?: string };
  status: {
    phase?: string;
    containerStatuses?: {
      state?: { terminated?: { exitCode: number; message?: string; reason?: string } };
    }[];
  };
}

async function apply(object: unknown) {
  const r = await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(object));
  expect(r.code, r.stderr).toBe(0);
}

async function pod(name: string): Promise<PodJson> {
  const r = await cluster.kubectl(['get', 'pod', '-n', ns, name, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as PodJson;
}

const phase = (name: string, wanted: string) =>
  eventually(
    `pod ${name} ${wanted}`,
    async () => ((await pod(name)).status.phase === wanted ? pod(name) : undefined),
    90_000,
  );

beforeAll(async () => {
  ns = await cluster.newNamespace('real-node', { 'pod-security.kubernetes.io/enforce': 'restricted' });
});
afterAll(() => cluster.deleteNamespaces());

describe('the real node', () => {
  it('is Ready beside kwok, tainted, on containerd, with loopback addresses only', async () => {
    const r = await cluster.kubectl(['get', 'node', REAL_NODE_NAME, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const node = JSON.parse(r.stdout) as {
      spec: { taints?: { key: string; value?: string; effect: string }[] };
      status: {
        addresses: { type: string; address: string }[];
        conditions: { type: string; status: string }[];
        nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string };
      };
    };
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.spec.taints).toEqual([{ key: REAL_NODE_TAINT.key, value: 'true', effect: 'NoSchedule' }]);
    expect(node.status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'localhost' },
    ]);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.36.3');
    const kwok = await cluster.kubectl([
      'get',
      'node',
      'kwok-node-0',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    expect(kwok.stdout).toBe('True');
  });

  it('runs a restricted pod to Completed, and kubectl logs shows its output', async () => {
    await apply(nodePod('hello', 'console.log("hello from a real container, uid " + process.getuid())'));
    const done = await phase('hello', 'Succeeded');
    expect(done.spec.nodeName).toBe(REAL_NODE_NAME);
    expect(done.status.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    const logs = await cluster.kubectl(['logs', '-n', ns, 'hello']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('hello from a real container, uid 65532\n');
  });

  it('keeps a failing container’s exit code and last lines in the pod status (FallbackToLogsOnError)', async () => {
    await apply(
      nodePod(
        'fails',
        'console.error("first line"); console.error("the reason it failed"); process.exit(3)',
        {
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ),
    );
    const failed = await phase('fails', 'Failed');
    const terminated = failed.status.containerStatuses?.[0]?.state?.terminated;
    expect(terminated?.exitCode).toBe(3);
    expect(terminated?.reason).toBe('Error');
    expect(terminated?.message).toContain('the reason it failed');
  });

  it('serves kubectl exec into a running container, whose root file system is read-only', async () => {
    await apply(nodePod('shell', 'setTimeout(() => {}, 600000)'));
    await phase('shell', 'Running');
    const exec = (command: string[]) => cluster.kubectl(['exec', '-n', ns, 'shell', '--', ...command]);
    const id = await exec(['id', '-u']);
    expect(id.code, id.stderr).toBe(0);
    expect(id.stdout.trim()).toBe('65532');
    const release = await exec(['cat', '/etc/os-release']);
    expect(release.stdout).toContain('bookworm');
    const write = await exec(['touch', '/should-not-exist']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('Read-only file system');
    const node = await exec(['node', '--version']);
    expect(node.stdout.trim()).toMatch(/^v24\./);
    await cluster.kubectl(['delete', 'pod', '-n', ns, 'shell', '--grace-period=1', '--wait=false']);
  });

  it('never pulls: an image that was not imported fails against a closed loopback port', async () => {
    const pulls = nodePod('pulls', '') as {
      spec: { containers: { image: string; imagePullPolicy: string }[] };
    };
    const container = pulls.spec.containers[0];
    if (container)
      Object.assign(container, { image: 'docker.io/library/busybox:1.36', imagePullPolicy: 'Always' });
    await apply(pulls);
    const message = await eventually(
      'the pull to fail',
      async () => {
        const r = await cluster.kubectl([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.name=pulls,reason=Failed',
          '-o',
          'jsonpath={.items[*].message}',
        ]);
        return r.stdout.includes('Failed to pull image') ? r.stdout : undefined;
      },
      60_000,
      500,
    );
    expect(message).toContain('dial tcp 127.0.0.1:9: connect: connection refused');
  });

  it('leaves pods without the toleration to kwok', async () => {
    const plain = nodePod('plain', 'console.log("kwok")') as { spec: Record<string, unknown> };
    delete plain.spec.nodeSelector;
    delete plain.spec.tolerations;
    await apply(plain);
    const scheduled = await eventually('pod plain scheduled', async () => (await pod('plain')).spec.nodeName);
    expect(scheduled).toBe('kwok-node-0');
  });
});
