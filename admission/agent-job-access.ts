/**
 * The cluster-access checks of an AgentJob write: the writer holds every rule the mutating
 * webhook recorded for it (SubjectAccessReviews), and no other AgentJob already owns the
 * cluster-scoped RBAC objects this one would be granted through (their names can collide).
 */
import type { KubeObject } from '../shared/kube/client.js';
import { clusterRbacName, clusterRbacTwins } from '../shared/names.js';
import { describePermission } from '../shared/rbac.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';
import type { FieldIssue } from '../shared/validation.js';
import { asksForAuthorization, checkRecord } from './authorization.js';
import { firstLacking, userLabel } from './escalation.js';
import type { Lookups } from './lookups.js';
import type { AdmissionRequest } from './review.js';
import type { Settings } from './verdict.js';

export interface AccessVerdict {
  issues: FieldIssue[];
  /** The writer lacks a permission: 403 rather than 422. */
  forbidden: boolean;
}

/** The AgentJob, other than this one, that owns the same cluster RBAC names; undefined if none. */
export function rbacNameOwner(namespace: string, name: string, lookups: Lookups): string | undefined {
  for (const twin of clusterRbacTwins(namespace, name)) {
    const other = lookups.agentJob(twin.namespace, twin.name);
    const spec = other?.spec as Partial<AgentJobSpec> | undefined;
    if (other && spec?.clusterAccessRef && !other.metadata?.deletionTimestamp)
      return `AgentJob "${twin.name}" in namespace "${twin.namespace}"`;
  }
  return undefined;
}

export async function accessIssues(
  request: AdmissionRequest,
  spec: AgentJobSpec,
  lookups: Lookups,
  settings: Settings,
  signal: AbortSignal,
): Promise<AccessVerdict> {
  if (!spec.clusterAccessRef) return { issues: [], forbidden: false };
  const object = request.object as KubeObject | undefined;
  const name = object?.metadata?.name || request.name;
  const owner = rbacNameOwner(request.namespace, name, lookups);
  if (owner) {
    const rbac = clusterRbacName(request.namespace, name);
    const message = `the ClusterRole and ClusterRoleBinding "${rbac}" this AgentJob would be granted through already belong to ${owner}; choose another name`;
    return { issues: [{ path: 'metadata.name', message }], forbidden: false };
  }
  if (!asksForAuthorization(request, spec)) return { issues: [], forbidden: false };
  const checked = checkRecord(request, spec, settings.accessKey);
  if (!checked.ok)
    return { issues: [{ path: 'spec.clusterAccessRef', message: checked.message }], forbidden: false };
  const lacking = await firstLacking(request.userInfo, checked.record.rules, lookups, signal);
  if (!lacking) return { issues: [], forbidden: false };
  const message = `${userLabel(request.userInfo)} may not use ClusterAccess "${spec.clusterAccessRef}": they lack ${describePermission(lacking.permission)}, which it grants`;
  return { issues: [{ path: 'spec.clusterAccessRef', message }], forbidden: true };
}
