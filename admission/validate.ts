/**
 * The validating decision, by kind and operation. Pure apart from the lookups it is given:
 * a review in, a verdict out (allowed, every issue with its path, warnings).
 */
import { GROUP, KIND_NAMES, type KindName, type ReferencedKind } from '../shared/api.js';
import { deepEqual } from '../shared/equality.js';
import type { KubeObject } from '../shared/kube/client.js';
import { ANNOTATION_AUTHORIZE } from '../shared/labels.js';
import { parseSpec } from '../shared/objects.js';
import { describePermission } from '../shared/rbac.js';
import { validateAgentJob } from './agent-job.js';
import { firstLacking, ruleIssues, userLabel } from './escalation.js';
import { kindIssues } from './kinds.js';
import type { Lookups } from './lookups.js';
import { privilegedUseIssues } from './privileged-refs.js';
import { type AdmissionRequest, nameOf } from './review.js';
import { runnerGuard } from './runners.js';
import { secretWarnings } from './secrets.js';
import { type Settings, type Verdict, verdict } from './verdict.js';

const ours = (request: AdmissionRequest): KindName | undefined =>
  request.kind.group === GROUP ? KIND_NAMES.find((k) => k === request.kind.kind) : undefined;

export async function validate(
  request: AdmissionRequest,
  lookups: Lookups,
  settings: Settings,
  signal: AbortSignal,
): Promise<Verdict> {
  const kind = ours(request);
  if (!kind) return runnerGuard(request, lookups, settings, signal);
  if (request.operation === 'DELETE') {
    if (kind === 'AgentJob' || kind === 'ClusterAccess') return verdict([]);
    const guarded = await privilegedUseIssues(request, kind, lookups, signal);
    return guarded.allowed ? deleting(request, kind, lookups) : guarded;
  }
  const object = request.object;
  if ((request.operation !== 'CREATE' && request.operation !== 'UPDATE') || !object) return verdict([]);
  // Leaving (finalizers being removed) or a change outside the spec (labels, finalizers): the spec
  // was judged when it was written; refusing now would only block the controller.
  if (object.metadata?.deletionTimestamp) return verdict([]);
  if (
    request.operation === 'UPDATE' &&
    deepEqual(object.spec, request.oldObject?.spec) &&
    !reauthorizes(request)
  )
    return verdict([]);

  switch (kind) {
    case 'AgentJob':
      return validateAgentJob(request, lookups, settings, signal);
    case 'ClusterAccess':
      return clusterAccess(request, lookups, signal);
    case 'AgentAuth':
    case 'Repository':
      return guarded(request, kind, lookups, signal, () =>
        withSecretWarnings(request, kind, lookups, signal),
      );
    default:
      return guarded(request, kind, lookups, signal, async () => verdict(kindIssues(kind, object.spec)));
  }
}

/** An AgentJob update that only sets a new value of the authorize annotation is judged too. */
function reauthorizes(request: AdmissionRequest): boolean {
  const now = (request.object as KubeObject | null | undefined)?.metadata?.annotations?.[
    ANNOTATION_AUTHORIZE
  ];
  const before = (request.oldObject as KubeObject | null | undefined)?.metadata?.annotations?.[
    ANNOTATION_AUTHORIZE
  ];
  return request.kind.kind === 'AgentJob' && now !== before;
}

/** The kind's own rules first; then whether the writer may change what privileged runs use. */
async function guarded(
  request: AdmissionRequest,
  kind: Exclude<ReferencedKind, 'ClusterAccess'>,
  lookups: Lookups,
  signal: AbortSignal,
  own: () => Promise<Verdict>,
): Promise<Verdict> {
  const first = await own();
  if (!first.allowed) return first;
  const use = await privilegedUseIssues(request, kind, lookups, signal);
  return use.allowed ? first : { ...use, warnings: first.warnings };
}

/** Deleting an object AgentJobs still use is allowed (they may be deleted next), with a warning. */
function deleting(request: AdmissionRequest, kind: ReferencedKind, lookups: Lookups): Verdict {
  const name = nameOf(request);
  const users = lookups.referrers(kind, request.namespace, name).filter((r) => !r.deleting);
  if (users.length === 0) return verdict([]);
  const list = users.map((r) => `"${r.name}"`).join(', ');
  const jobs = users.length === 1 ? 'AgentJob' : 'AgentJobs';
  return verdict(
    [],
    [`${kind} "${name}" is still used by ${jobs} ${list}; they cannot run until it is back`],
  );
}

async function clusterAccess(
  request: AdmissionRequest,
  lookups: Lookups,
  signal: AbortSignal,
): Promise<Verdict> {
  const issues = kindIssues('ClusterAccess', request.object?.spec);
  const parsed = parseSpec('ClusterAccess', request.object?.spec);
  if (!parsed.ok || issues.length > 0) return verdict(issues);
  const structural = ruleIssues(parsed.value.rules);
  if (structural.length > 0) return verdict(structural);
  const lacking = await firstLacking(request.userInfo, parsed.value.rules, lookups, signal);
  if (!lacking) return verdict([]);
  const message =
    `${userLabel(request.userInfo)} lacks ${describePermission(lacking.permission)}, which this rule grants; ` +
    'whoever writes a ClusterAccess must already hold every permission it grants';
  return verdict([{ path: `spec.rules[${lacking.rule}]`, message }], [], true);
}

async function withSecretWarnings(
  request: AdmissionRequest,
  kind: 'AgentAuth' | 'Repository',
  lookups: Lookups,
  signal: AbortSignal,
): Promise<Verdict> {
  const issues = kindIssues(kind, request.object?.spec);
  if (issues.length > 0) return verdict(issues);
  const by = `${kind} "${nameOf(request)}"`;
  const auth = kind === 'AgentAuth' ? parseSpec(kind, request.object?.spec) : undefined;
  const repository = kind === 'Repository' ? parseSpec(kind, request.object?.spec) : undefined;
  const ref = auth?.ok ? auth.value.secretRef : repository?.ok ? repository.value.tokenSecretRef : undefined;
  return verdict([], ref ? await secretWarnings(request.namespace, [{ by, ref }], lookups, signal) : []);
}
