/**
 * Writes to an object that a privileged run uses. An AgentJob with a ClusterAccess runs whatever
 * its runtime, role, skill, MCP servers and repositories say, with the ClusterAccess's rights; so
 * creating, changing or deleting one of them is judged like changing the AgentJob itself: the
 * writer must hold every rule of every ClusterAccess those AgentJobs use.
 */
import type { ReferencedKind } from '../shared/api.js';
import { parseSpec } from '../shared/objects.js';
import { describePermission } from '../shared/rbac.js';
import { firstLacking, userLabel } from './escalation.js';
import type { Lookups } from './lookups.js';
import { type AdmissionRequest, nameOf } from './review.js';
import { type Verdict, verdict } from './verdict.js';

export async function privilegedUseIssues(
  request: AdmissionRequest,
  kind: Exclude<ReferencedKind, 'ClusterAccess'>,
  lookups: Lookups,
  signal: AbortSignal,
): Promise<Verdict> {
  const name = nameOf(request);
  const users = lookups
    .referrers(kind, request.namespace, name)
    .filter((r) => r.clusterAccessRef !== undefined && !r.deleting);
  const byAccess = new Map<string, string[]>();
  for (const user of users) {
    const access = user.clusterAccessRef ?? '';
    byAccess.set(access, [...(byAccess.get(access) ?? []), user.name]);
  }
  for (const [access, jobs] of byAccess) {
    const found = await lookups.object('ClusterAccess', request.namespace, access, signal);
    const rules = parseSpec('ClusterAccess', found?.spec);
    if (!rules.ok) continue;
    const lacking = await firstLacking(request.userInfo, rules.value.rules, lookups, signal);
    if (!lacking) continue;
    const list = jobs.map((j) => `"${j}"`).join(', ');
    const runs = jobs.length === 1 ? `AgentJob ${list} runs` : `AgentJobs ${list} run`;
    const message =
      `${runs} it with ClusterAccess "${access}": ${userLabel(request.userInfo)} lacks ` +
      `${describePermission(lacking.permission)}, which that grants; whoever changes what runs with cluster access must hold what it grants`;
    return verdict([{ path: request.operation === 'DELETE' ? 'metadata.name' : 'spec', message }], [], true);
  }
  return verdict([]);
}
