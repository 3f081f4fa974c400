/**
 * The pods of our Jobs, watched to tell why a run ended or has not started. The watch is
 * label-selected (only pods of thurkube's Jobs) and each pod is cut down to what the run record
 * reads, so memory grows with runs in progress, not with the cluster.
 */
import type { V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { AGENT_CONTAINER } from '../shared/agent-pod.js';
import type { KubeObject } from '../shared/kube/client.js';
import {
  LABEL_AGENTJOB,
  LABEL_AGENTJOB_NAMESPACE,
  LABEL_MANAGED_BY,
  LABEL_OWNER_UID,
} from '../shared/labels.js';

/** The Job controller labels its pods with the Job's name (the short form before Kubernetes 1.27). */
const JOB_NAME_LABELS = ['batch.kubernetes.io/job-name', 'job-name'];
const KEPT_LABELS = [
  LABEL_MANAGED_BY,
  LABEL_AGENTJOB,
  LABEL_AGENTJOB_NAMESPACE,
  LABEL_OWNER_UID,
  ...JOB_NAME_LABELS,
];

export const jobNameOfPod = (pod: KubeObject): string | undefined => {
  const labels = pod.metadata?.labels ?? {};
  for (const key of JOB_NAME_LABELS) if (labels[key]) return labels[key];
  return undefined;
};

/** Index of pods by their Job: `namespace/jobName`. */
export const BY_JOB = 'job';
export const jobKeyOfPod = (pod: KubeObject): string[] => {
  const job = jobNameOfPod(pod);
  return job && pod.metadata?.namespace ? [`${pod.metadata.namespace}/${job}`] : [];
};

const agentStatus = (statuses: V1ContainerStatus[] | undefined): V1ContainerStatus[] | undefined =>
  statuses
    ?.filter((c) => c.name === AGENT_CONTAINER)
    .map(
      ({ name, state, lastState, restartCount }) =>
        ({ name, state, lastState, restartCount }) as V1ContainerStatus,
    );

/** What a run record reads of a pod: the agent container's state and limits, why it is not scheduled. */
export function trimPod<T extends KubeObject>(object: T): T {
  const pod = object as unknown as V1Pod;
  const labels = pod.metadata?.labels ?? {};
  const agent = pod.spec?.containers?.find((c) => c.name === AGENT_CONTAINER);
  const unscheduled = pod.status?.conditions?.filter(
    (c: V1PodCondition) => c.type === 'PodScheduled' && c.status === 'False',
  );
  const trimmed: V1Pod = {
    metadata: {
      name: pod.metadata?.name,
      namespace: pod.metadata?.namespace,
      uid: pod.metadata?.uid,
      resourceVersion: pod.metadata?.resourceVersion,
      creationTimestamp: pod.metadata?.creationTimestamp,
      deletionTimestamp: pod.metadata?.deletionTimestamp,
      labels: Object.fromEntries(
        KEPT_LABELS.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k] ?? '']),
      ),
    },
    spec: {
      containers: agent ? [{ name: agent.name, resources: { limits: agent.resources?.limits } }] : [],
    },
    status: {
      phase: pod.status?.phase,
      reason: pod.status?.reason,
      message: pod.status?.message,
      startTime: pod.status?.startTime,
      conditions: unscheduled?.length ? unscheduled : undefined,
      containerStatuses: agentStatus(pod.status?.containerStatuses),
    },
  };
  return trimmed as unknown as T;
}

/** The pod that says most about a run: the newest one (a retry replaces a failed pod). */
export function latestPod(pods: readonly V1Pod[]): V1Pod | undefined {
  const created = (p: V1Pod) => Date.parse(String(p.metadata?.creationTimestamp ?? '')) || 0;
  return [...pods].sort((a, b) => created(b) - created(a))[0];
}
