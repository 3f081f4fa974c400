/**
 * Why a run ended and what it produced, with real containers: the real node's kubelet, containerd
 * and runc run the test agent runtime, and what the controller reports comes from them, not from a
 * stage. The AgentRuntime sends its pods to the real node with its own nodeSelector and
 * tolerations. A failing agent's last log line (the kubelet's FallbackToLogsOnError tail) and exit
 * code reach the status; a result written to /dev/termination-log (as user 65532, on a read-only
 * root) reaches status.runs[0].outputs; a missing Secret key keeps the pod from starting, and the
 * kubelet's own words say so; timeoutSeconds stops a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningController } from '../../controller/controller.js';
import { installCrds } from '../../dev/cluster/crds.js';
import { REAL_NODE_SCHEDULING } from '../../dev/cluster/node/constants.js';
import { IMAGES } from '../../dev/images/versions.js';
import { applyManifest, startTestController, statusWhen } from '../integration/controller-helpers.js';
import { testCluster } from '../support/testing.js';

const cluster = testCluster();
let ns = '';
let controller: RunningController;

const env = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));

beforeAll(async () => {
  await installCrds(cluster);
  ns = await cluster.newNamespace('real-runs', { 'pod-security.kubernetes.io/enforce': 'restricted' });
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'agent-token' },
      stringData: { token: 'not-a-real-token' },
    },
    {
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentAuth',
      metadata: { name: 'token' },
      spec: { secretRef: { name: 'agent-token', key: 'token' } },
    },
    {
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentAuth',
      metadata: { name: 'wrong-key' },
      spec: { secretRef: { name: 'agent-token', key: 'oauth' } },
    },
    {
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentRole',
      metadata: { name: 'tools' },
      spec: { allowedTools: ['Bash', 'Read'] },
    },
    {
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentRuntime',
      metadata: { name: 'test-agent' },
      spec: {
        image: IMAGES.testAgent,
        authEnvVar: 'CLAUDE_CODE_OAUTH_TOKEN',
        configPath: '/etc/claude-code-job',
        persistPath: '/var/lib/claude-code-job',
        ...REAL_NODE_SCHEDULING,
      },
    },
  ];
  for (const object of objects) await applyManifest(cluster, ns, object);
  controller = await startTestController(cluster, { namespace: ns });
});
afterAll(async () => {
  await controller?.stop();
  await cluster.deleteNamespaces();
});

async function agentJob(name: string, spec: Record<string, unknown>): Promise<void> {
  await applyManifest(cluster, ns, {
    apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
    kind: 'AgentJob',
    metadata: { name },
    spec: {
      runtimeRef: 'test-agent',
      authRef: 'token',
      roleRef: 'tools',
      prompt: `Prompt of ${name}.`,
      ...spec,
    },
  });
}

describe('runs in real containers', () => {
  it("reports a failed agent's exit code and the last line of its log, kept by the kubelet", async () => {
    await agentJob('failing', { env: env({ THURKUBE_TEST_OUTCOME: 'fail' }) });
    const status = await statusWhen(
      cluster,
      ns,
      'failing',
      'a failed run',
      (s) => s.runs?.[0]?.result === 'Failed',
      180_000,
    );
    expect(status.phase).toBe('Failed');
    expect(status.runs?.[0]).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(status.message).toBe(
      `run ${status.runs?.[0]?.jobName} failed: exit code 1 (Error): thurkube-test-agent: failing as steered (THURKUBE_TEST_OUTCOME=fail)`,
    );
  });

  it('records the result the agent wrote to /dev/termination-log as user 65532 on a read-only root', async () => {
    const result = {
      summary: 'Every check passed.',
      costUsd: 0.01,
      inputTokens: 10,
      outputTokens: 2,
      node: 'real',
    };
    await agentJob('reporting', { env: env({ THURKUBE_TEST_RESULT: JSON.stringify(result) }) });
    const status = await statusWhen(
      cluster,
      ns,
      'reporting',
      'a succeeded run',
      (s) => s.runs?.[0]?.result === 'Succeeded',
      180_000,
    );
    expect(status.runs?.[0]?.outputs).toEqual(result);
    expect(status.runs?.[0]?.exitCode).toBe(0);
    expect(status.message).toMatch(/succeeded in \d+s: Every check passed\.$/);
  });

  it("says why the pod never started when the auth Secret lacks its key, in the kubelet's words", async () => {
    await agentJob('no-key', { authRef: 'wrong-key' });
    const status = await statusWhen(
      cluster,
      ns,
      'no-key',
      'a run that has not started',
      (s) => !!s.runs?.[0]?.reason,
      180_000,
    );
    expect(status.phase).toBe('Pending');
    expect(status.runs?.[0]).toMatchObject({ result: 'Pending', reason: 'CreateContainerConfigError' });
    expect(status.message).toContain(
      `has not started: CreateContainerConfigError: couldn't find key oauth in Secret ${ns}/agent-token`,
    );
  });

  it('says that timeoutSeconds stopped a run', async () => {
    await agentJob('slow', { timeoutSeconds: 5, env: env({ THURKUBE_TEST_RUN_FOR: '5m' }) });
    const status = await statusWhen(
      cluster,
      ns,
      'slow',
      'a timed-out run',
      (s) => s.runs?.[0]?.result === 'Failed',
      180_000,
    );
    expect(status.runs?.[0]?.reason).toBe('DeadlineExceeded');
    expect(status.message).toContain('failed: stopped after timeoutSeconds (5 s)');
  });
});
