/**
 * RBAC rules as single permissions, and whether a set of rules covers one. Pure. The admission
 * webhook expands a ClusterAccess into permissions to ask SubjectAccessReviews about; the
 * controller asks whether the rules recorded at admission still cover what a ClusterAccess grants.
 * Matching follows Kubernetes RBAC: `*` matches any verb, group and resource, `*\/sub` any
 * resource's subresource `sub`, a URL ending in `*` any path with that prefix, and a rule without
 * resourceNames any name.
 */
import type { PolicyRule } from './schemas/core.js';

/** One permission a rule grants, in SubjectAccessReview terms ("*" is a wildcard). */
export type Permission =
  | { verb: string; group: string; resource: string; subresource?: string; name?: string }
  | { verb: string; path: string };

export interface Granted {
  /** Index of the rule in its list. */
  rule: number;
  permission: Permission;
}

function resourcePermissions(rule: PolicyRule, verb: string): Permission[] {
  const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
  return (rule.apiGroups ?? []).flatMap((group) =>
    (rule.resources ?? []).flatMap((full) => {
      const [resource = '', subresource] = full.split('/', 2);
      return names.map((name) => ({
        verb,
        group,
        resource,
        ...(subresource ? { subresource } : {}),
        ...(name ? { name } : {}),
      }));
    }),
  );
}

/** Every single permission the rules grant, in order ("*" stays a wildcard, as SAR reads it). */
export function permissionsOf(rules: readonly PolicyRule[]): Granted[] {
  return rules.flatMap((rule, index) =>
    rule.verbs.flatMap((verb) => [
      ...(rule.nonResourceURLs ?? []).map((path) => ({ rule: index, permission: { verb, path } })),
      ...resourcePermissions(rule, verb).map((permission) => ({ rule: index, permission })),
    ]),
  );
}

export function describePermission(p: Permission): string {
  if ('path' in p) return `verb "${p.verb}" on URL "${p.path}"`;
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  const name = p.name ? ` named "${p.name}"` : '';
  return `verb "${p.verb}" on resource "${resource}"${name} in API group "${p.group}" cluster-wide`;
}

const has = (list: readonly string[] | undefined, value: string) =>
  (list ?? []).some((item) => item === '*' || item === value);

function urlMatches(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === path) return true;
  return pattern.endsWith('*') && path.startsWith(pattern.slice(0, -1));
}

function resourceMatches(pattern: string, resource: string, subresource?: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  if (pattern === '*' || pattern === combined) return true;
  return subresource !== undefined && pattern === `*/${subresource}`;
}

/** Whether `rule` grants `p`. */
export function ruleGrants(rule: PolicyRule, p: Permission): boolean {
  if (!has(rule.verbs, p.verb)) return false;
  if ('path' in p) return (rule.nonResourceURLs ?? []).some((pattern) => urlMatches(pattern, p.path));
  if (!has(rule.apiGroups, p.group)) return false;
  if (!(rule.resources ?? []).some((pattern) => resourceMatches(pattern, p.resource, p.subresource)))
    return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (p.name !== undefined && names.includes(p.name));
}

/** The first permission `wanted` grants that none of `held` grants; undefined when all are covered. */
export function firstUncovered(
  wanted: readonly PolicyRule[],
  held: readonly PolicyRule[],
): Granted | undefined {
  return permissionsOf(wanted).find((g) => !held.some((rule) => ruleGrants(rule, g.permission)));
}
