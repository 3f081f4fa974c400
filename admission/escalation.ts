/**
 * The escalation guard. The controller grants every rule a ClusterAccess lists, cluster-wide, so
 * writing one is writing a ClusterRole and its binding. Kubernetes lets a person do that only if
 * they already hold every permission granted (or may `escalate` and `bind` ClusterRoles); the
 * same rule applies here, checked with SubjectAccessReviews for the requesting user and groups.
 */
import { type Granted, type Permission, permissionsOf } from '../shared/rbac.js';
import type { PolicyRule } from '../shared/schemas/core.js';
import type { FieldIssue } from '../shared/validation.js';
import type { Lookups } from './lookups.js';
import type { UserInfo } from './review.js';

const RBAC = 'rbac.authorization.k8s.io';
/** What lets a person write any ClusterRole and bind it, like cluster-admin. */
const MAY_GRANT_ANYTHING: Permission[] = [
  { verb: 'escalate', group: RBAC, resource: 'clusterroles' },
  { verb: 'bind', group: RBAC, resource: 'clusterroles' },
];
/** SubjectAccessReviews sent at once; a rule list rarely expands to more. */
const BATCH = 16;

/** Rules the API server would refuse in the ClusterRole the controller writes. */
export function ruleIssues(rules: readonly PolicyRule[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  rules.forEach((rule, i) => {
    const path = `spec.rules[${i}]`;
    const resources = (rule.resources?.length ?? 0) > 0;
    const urls = (rule.nonResourceURLs?.length ?? 0) > 0;
    if (resources && urls)
      issues.push({ path, message: 'a rule applies to resources or to nonResourceURLs, not both' });
    else if (!resources && !urls)
      issues.push({ path, message: 'list resources (with apiGroups) or nonResourceURLs' });
    else if (urls && (rule.resourceNames?.length ?? 0) > 0)
      issues.push({
        path: `${path}.resourceNames`,
        message: 'names objects, so it applies to resources, not to nonResourceURLs',
      });
    else if (resources && (rule.apiGroups?.length ?? 0) === 0)
      issues.push({ path: `${path}.apiGroups`, message: 'required with resources ("" is the core group)' });
  });
  return issues;
}

/** The first permission the rules grant that `user` lacks, or undefined when they hold them all. */
export async function firstLacking(
  user: UserInfo,
  rules: readonly PolicyRule[],
  lookups: Lookups,
  signal: AbortSignal,
): Promise<Granted | undefined> {
  const mayGrant = await Promise.all(MAY_GRANT_ANYTHING.map((p) => lookups.allowed(user, p, signal)));
  if (mayGrant.every(Boolean)) return undefined;
  const granted = permissionsOf(rules);
  for (let start = 0; start < granted.length; start += BATCH) {
    const batch = granted.slice(start, start + BATCH);
    const answers = await Promise.all(batch.map((g) => lookups.allowed(user, g.permission, signal)));
    const lacking = answers.indexOf(false);
    if (lacking >= 0) return batch[lacking];
  }
  return undefined;
}

export const userLabel = (user: UserInfo) => `user "${user.username}"`;
