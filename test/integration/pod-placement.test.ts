/**
 * The agent's pod as platform teams set it, on the real control plane: an AgentRuntime's image
 * pull Secrets, node selector, tolerations, affinity, priority class and runtime class reach the
 * pod the Job creates (the API server resolves the PriorityClass and admits the RuntimeClass), and
 * an AgentJob's node selector is added to the runtime's.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { example } from '../fixtures/load.js';
import { eventually, testCluster } from '../support/testing.js';
import { applyManifest, controllerSuite, statusWhen } from './controller-helpers.js';

const cluster = testCluster();
const suffix = randomBytes(3).toString('hex');
const priorityClass = `thurkube-test-agents-${suffix}`;
const runtimeClass = `thurkube-test-sandbox-${suffix}`;
const suite = controllerSuite(cluster, 'placement', async (namespace) => {
  await applyManifest(cluster, namespace, {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: priorityClass },
    value: 1000,
    description: 'agents of the pod placement test',
  });
  await applyManifest(cluster, namespace, {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: runtimeClass },
    handler: 'runsc',
  });
});
afterAll(async () => {
  await cluster.kubectl(['delete', 'priorityclass', priorityClass, '--ignore-not-found']);
  await cluster.kubectl(['delete', 'runtimeclass', runtimeClass, '--ignore-not-found']);
});

describe('an AgentRuntime with platform fields', () => {
  it('puts them on the pod, with the AgentJob node selector added', async () => {
    const runtime = example('AgentRuntime', 'minimal');
    runtime.metadata.name = 'sandboxed';
    runtime.spec = {
      ...runtime.spec,
      imagePullSecrets: [{ name: 'registry-credentials' }],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
            ],
          },
        },
      },
      priorityClassName: priorityClass,
      runtimeClassName: runtimeClass,
    };
    await applyManifest(cluster, suite.namespace(), runtime);
    const aj = example('AgentJob', 'minimal');
    aj.metadata.name = 'placed';
    aj.spec = { ...aj.spec, runtimeRef: 'sandboxed', nodeSelector: { 'kubernetes.io/arch': 'amd64' } };
    await applyManifest(cluster, suite.namespace(), aj);
    await statusWhen(cluster, suite.namespace(), 'placed', 'phase Succeeded', (s) => s.phase === 'Succeeded');

    const pod = await eventually('the run pod', async () => {
      const pods = await cluster.core.listNamespacedPod({
        namespace: suite.namespace(),
        labelSelector: 'thurkube.thurbeen.eu/agentjob=placed',
      });
      return pods.items[0];
    });
    expect(pod.spec?.nodeName).toBe('kwok-node-0');
    expect(pod.spec?.nodeSelector).toEqual({ type: 'kwok', 'kubernetes.io/arch': 'amd64' });
    expect(pod.spec?.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(pod.spec?.tolerations).toEqual(
      expect.arrayContaining([{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }]),
    );
    expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeDefined();
    expect(pod.spec?.priorityClassName).toBe(priorityClass);
    expect(pod.spec?.priority).toBe(1000);
    expect(pod.spec?.runtimeClassName).toBe(runtimeClass);
    expect(pod.spec?.containers[0]?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('leaves a pod without them exactly as before when the runtime sets none', async () => {
    const aj = example('AgentJob', 'minimal');
    aj.metadata.name = 'plain';
    await applyManifest(cluster, suite.namespace(), aj);
    await statusWhen(cluster, suite.namespace(), 'plain', 'phase Succeeded', (s) => s.phase === 'Succeeded');
    const pods = await cluster.core.listNamespacedPod({
      namespace: suite.namespace(),
      labelSelector: 'thurkube.thurbeen.eu/agentjob=plain',
    });
    const spec = pods.items[0]?.spec;
    expect(spec?.nodeSelector).toBeUndefined();
    expect(spec?.imagePullSecrets).toBeUndefined();
    expect(spec?.priorityClassName).toBeUndefined();
    expect(spec?.runtimeClassName).toBeUndefined();
    expect(spec?.affinity).toBeUndefined();
  });
});
