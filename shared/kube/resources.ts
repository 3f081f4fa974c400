/** The API resources thurkube reads and writes, and how to build their REST paths. */
import { GROUP, type KindName, NAMES, VERSION } from '../api.js';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** A resource type of API group `group` (version v1; `''` is the core group). */
const v1 = (group: string, plural: string, kind: string, namespaced = true): ResourceType => ({
  group,
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const CLUSTER = false;

export const RESOURCES = {
  configMaps: v1('', 'configmaps', 'ConfigMap'),
  secrets: v1('', 'secrets', 'Secret'),
  serviceAccounts: v1('', 'serviceaccounts', 'ServiceAccount'),
  persistentVolumeClaims: v1('', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  namespaces: v1('', 'namespaces', 'Namespace', CLUSTER),
  pods: v1('', 'pods', 'Pod'),
  resourceQuotas: v1('', 'resourcequotas', 'ResourceQuota'),
  jobs: v1('batch', 'jobs', 'Job'),
  cronJobs: v1('batch', 'cronjobs', 'CronJob'),
  clusterRoles: v1('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', CLUSTER),
  clusterRoleBindings: v1('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', CLUSTER),
  customResourceDefinitions: v1(
    'apiextensions.k8s.io',
    'customresourcedefinitions',
    'CustomResourceDefinition',
    CLUSTER,
  ),
  leases: v1('coordination.k8s.io', 'leases', 'Lease'),
  events: v1('events.k8s.io', 'events', 'Event'),
  mutatingWebhookConfigurations: v1(
    'admissionregistration.k8s.io',
    'mutatingwebhookconfigurations',
    'MutatingWebhookConfiguration',
    CLUSTER,
  ),
  validatingWebhookConfigurations: v1(
    'admissionregistration.k8s.io',
    'validatingwebhookconfigurations',
    'ValidatingWebhookConfiguration',
    CLUSTER,
  ),
  subjectAccessReviews: v1('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', CLUSTER),
} satisfies Record<string, ResourceType>;

export function ourResource(kind: KindName): ResourceType {
  return { group: GROUP, version: VERSION, plural: NAMES[kind].plural, kind, namespaced: true };
}

export interface PathOptions {
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function resourcePath(type: ResourceType, options: PathOptions = {}): string {
  const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  let path = base;
  if (type.namespaced && options.namespace) path += `/namespaces/${encodeURIComponent(options.namespace)}`;
  path += `/${type.plural}`;
  if (options.name) path += `/${encodeURIComponent(options.name)}`;
  if (options.subresource) path += `/${options.subresource}`;
  return path;
}

export const apiVersionOf = (type: ResourceType) =>
  type.group ? `${type.group}/${type.version}` : type.version;
