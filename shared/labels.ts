/** Labels, annotations and other keys written on objects; identical to the Rust original's. */
import { GROUP } from './api.js';

export const FIELD_MANAGER = 'thurkube';
export const FINALIZER = `${GROUP}/finalizer`;

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'thurkube';
export const LABEL_AGENTJOB = `${GROUP}/agentjob`;
export const LABEL_AGENTJOB_NAMESPACE = `${GROUP}/agentjob-namespace`;
export const LABEL_OWNER_UID = `${GROUP}/owner-uid`;

/** On an AgentRuntime, AgentAuth or AgentRole: fill it into AgentJobs that omit that reference. */
export const ANNOTATION_DEFAULT = `${GROUP}/default`;
/** On a scheduled AgentJob: each new value starts one run now. */
export const ANNOTATION_RUN_NOW = `${GROUP}/run-now`;

export interface ChildOwner {
  name: string;
  namespace: string;
  uid: string;
}

/** The labels every child of an AgentJob carries; the controller finds its children by them. */
export function childLabels(owner: ChildOwner): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_AGENTJOB]: owner.name,
    [LABEL_AGENTJOB_NAMESPACE]: owner.namespace,
    [LABEL_OWNER_UID]: owner.uid,
  };
}

/**
 * On an AgentJob with a clusterAccessRef: who was checked, at admission, for which rules, signed
 * by the admission webhook (shared/authorization.ts). The mutating webhook always writes or
 * restores it, so a user cannot set it; the controller grants cluster access only as far as it
 * covers. Never written by users.
 */
export const ANNOTATION_AUTHORIZATION = `${GROUP}/cluster-access-authorization`;
/** On an AgentJob: a new value asks the webhook to authorize its ClusterAccess for the writer. */
export const ANNOTATION_AUTHORIZE = `${GROUP}/authorize`;
/**
 * On the pod template of a run with cluster access: the uid of its runner ServiceAccount. The
 * admission webhook admits a pod that uses a runner ServiceAccount only from the Job controller
 * and only with this uid, which no template written before the ServiceAccount existed can hold.
 */
export const ANNOTATION_RUNNER_UID = `${GROUP}/runner-uid`;
