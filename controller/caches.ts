/**
 * The controller's watch caches: AgentJobs, the seven kinds they refer to, and the children,
 * filtered by our managed-by label so memory stays flat however many other objects exist.
 */
import { KIND_NAMES, type ReferencedKind } from '../shared/api.js';
import type { KubeClient, KubeObject } from '../shared/kube/client.js';
import { ourResource, RESOURCES, type ResourceType } from '../shared/kube/resources.js';
import { WatchCache } from '../shared/kube/watch-cache.js';
import { LABEL_AGENTJOB, LABEL_AGENTJOB_NAMESPACE, LABEL_MANAGED_BY, MANAGED_BY } from '../shared/labels.js';
import { BY_JOB, jobKeyOfPod, trimPod } from './pods.js';

export interface Caches {
  agentJobs: WatchCache<KubeObject>;
  refs: Record<ReferencedKind, WatchCache<KubeObject>>;
  configMaps: WatchCache<KubeObject>;
  dataClaims: WatchCache<KubeObject>;
  serviceAccounts: WatchCache<KubeObject>;
  jobs: WatchCache<KubeObject>;
  cronJobs: WatchCache<KubeObject>;
  /** Pods of our Jobs, cut down to what a run record reads (pods.ts). */
  pods: WatchCache<KubeObject>;
  /** Absent when cluster access is turned off (the controller then has no rights on them). */
  clusterRoles?: WatchCache<KubeObject>;
  clusterRoleBindings?: WatchCache<KubeObject>;
}

const OURS = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/** kubectl's last-applied copy doubles the size of every object and is never read here. */
const dropLastApplied = <T extends KubeObject>(o: T): T => {
  if (o.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _, ...rest } = o.metadata.annotations;
    o.metadata.annotations = rest;
  }
  return o;
};

/**
 * A Job's pod template is immutable and its hash is in the Job's name, so the cache keeps Jobs
 * without it: Jobs are most of the cached bytes, and the controller never reads their template.
 */
export const dropPodTemplate = <T extends KubeObject>(o: T): T => {
  const spec = o.spec as { template?: unknown } | undefined;
  if (spec?.template) spec.template = undefined;
  return dropLastApplied(o);
};

export function createCaches(
  client: KubeClient,
  onError: (message: string) => void,
  namespace?: string,
  clusterAccess = true,
): Caches {
  const make = (type: ResourceType, labelSelector?: string, transform = dropLastApplied) =>
    new WatchCache<KubeObject>({
      client,
      type,
      namespace: type.namespaced ? namespace : undefined,
      labelSelector,
      transform,
      onError,
    });
  const refs = Object.fromEntries(
    KIND_NAMES.filter((k): k is ReferencedKind => k !== 'AgentJob').map((k) => [k, make(ourResource(k))]),
  ) as Record<ReferencedKind, WatchCache<KubeObject>>;
  const jobs = make(RESOURCES.jobs, OURS, dropPodTemplate);
  jobs.addIndex(BY_AGENTJOB, agentJobKeyOf);
  const pods = make(RESOURCES.pods, OURS, trimPod);
  pods.addIndex(BY_JOB, jobKeyOfPod);
  return {
    agentJobs: make(ourResource('AgentJob')),
    refs,
    configMaps: make(RESOURCES.configMaps, OURS),
    dataClaims: make(RESOURCES.persistentVolumeClaims, OURS),
    serviceAccounts: make(RESOURCES.serviceAccounts, OURS),
    jobs,
    cronJobs: make(RESOURCES.cronJobs, OURS),
    pods,
    clusterRoles: clusterAccess ? make(RESOURCES.clusterRoles, OURS) : undefined,
    clusterRoleBindings: clusterAccess ? make(RESOURCES.clusterRoleBindings, OURS) : undefined,
  };
}

/** Index of children by the AgentJob they belong to: `namespace/name`, from our labels. */
export const BY_AGENTJOB = 'agentjob';
export const agentJobKeyOf = (o: KubeObject): string[] => {
  const labels = o.metadata?.labels;
  const name = labels?.[LABEL_AGENTJOB];
  const namespace = labels?.[LABEL_AGENTJOB_NAMESPACE];
  return name && namespace ? [`${namespace}/${name}`] : [];
};

export function allCaches(caches: Caches): WatchCache<KubeObject>[] {
  const { refs, ...rest } = caches;
  return [...Object.values(rest), ...Object.values(refs)].filter(
    (c): c is WatchCache<KubeObject> => c !== undefined,
  );
}
