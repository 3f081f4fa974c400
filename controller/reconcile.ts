/**
 * One reconcile of one AgentJob: read it and its references from the caches, decide (plan.ts),
 * write only what differs, then report status. Returns when to look again, or throws; a
 * ThurkubeError of kind Invalid is not retried (the next spec change brings it back).
 */
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import type { ReferencedKind } from '../shared/api.js';
import { covers } from '../shared/equality.js';
import { isKind, messageOf, ThurkubeError } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import { ourResource, type ResourceType } from '../shared/kube/resources.js';
import type { WatchCache } from '../shared/kube/watch-cache.js';
import {
  ANNOTATION_AUTHORIZATION,
  ANNOTATION_RUN_NOW,
  FIELD_MANAGER,
  LABEL_AGENTJOB,
  LABEL_AGENTJOB_NAMESPACE,
  LABEL_OWNER_UID,
} from '../shared/labels.js';
import { clusterRbacName, cronJobName, dataClaimName, runnerServiceAccountName } from '../shared/names.js';
import { parseSpec } from '../shared/objects.js';
import { render } from '../shared/render/children.js';
import type { AgentJobIdentity } from '../shared/render/refs.js';
import { describeProblem, resolveRefs } from '../shared/render/resolve.js';
import { nextRunTime } from '../shared/schedule.js';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import { secondsIso } from '../shared/time.js';
import { formatIssues } from '../shared/validation.js';
import { applyIfChanged, removeChild } from './apply.js';
import { BY_AGENTJOB } from './caches.js';
import { grantFor } from './cluster-access.js';
import type { ControllerContext } from './context.js';
import { finalize, hasFinalizer, revokeClusterRbac, setFinalizer } from './finalizer.js';
import { type ChildrenSeen, type Plan, plan } from './plan.js';
import type { Outcome } from './queue.js';
import { reportRuns } from './run-events.js';
import { keepRunFields, observeRuns } from './run-reconcile.js';
import { computeStatus, type Observation } from './status.js';
import { recordTransitions } from './transitions.js';

const agentJobs = ourResource('AgentJob');

function seenChildren(ctx: ControllerContext, id: AgentJobIdentity): ChildrenSeen {
  const mine = (o: KubeObject) =>
    o.metadata?.labels?.[LABEL_AGENTJOB] === id.name &&
    o.metadata?.labels?.[LABEL_AGENTJOB_NAMESPACE] === id.namespace &&
    o.metadata?.labels?.[LABEL_OWNER_UID] === id.uid;
  const { caches } = ctx;
  const rbac = clusterRbacName(id.namespace, id.name);
  const owned = <T>(cache: WatchCache<KubeObject>, namespace: string | undefined, name: string) => {
    const o = cache.get(namespace, name);
    return o && mine(o) ? (o as T) : undefined;
  };
  return {
    jobs: caches.jobs.byIndex(BY_AGENTJOB, `${id.namespace}/${id.name}`).filter(mine) as V1Job[],
    cronJob: owned<V1CronJob>(caches.cronJobs, id.namespace, cronJobName(id.name)),
    dataClaim: owned(caches.dataClaims, id.namespace, dataClaimName(id.name)),
    serviceAccount: owned(caches.serviceAccounts, id.namespace, runnerServiceAccountName(id.name)),
    clusterRole: caches.clusterRoles && owned(caches.clusterRoles, undefined, rbac),
    clusterRoleBinding: caches.clusterRoleBindings && owned(caches.clusterRoleBindings, undefined, rbac),
  };
}

/**
 * The AgentJob that owns this one's cluster RBAC names, when it is another: `thurkube-NS-N` is
 * ambiguous (`team-prod`/`x` and `team`/`prod-x`), and the first owner keeps them.
 */
function clusterRbacOwner(ctx: ControllerContext, id: AgentJobIdentity): string | undefined {
  const name = clusterRbacName(id.namespace, id.name);
  for (const cache of [ctx.caches.clusterRoles, ctx.caches.clusterRoleBindings]) {
    const labels = cache?.get(undefined, name)?.metadata?.labels;
    if (labels && labels[LABEL_OWNER_UID] !== id.uid)
      return `AgentJob "${labels[LABEL_AGENTJOB] ?? '?'}" in namespace "${labels[LABEL_AGENTJOB_NAMESPACE] ?? '?'}"`;
  }
  return undefined;
}

/** The cache of a child kind; none for cluster RBAC when cluster access is turned off. */
function cacheOf(ctx: ControllerContext, type: ResourceType): WatchCache<KubeObject> | undefined {
  const c = ctx.caches;
  const byPlural: Record<string, WatchCache<KubeObject> | undefined> = {
    configmaps: c.configMaps,
    persistentvolumeclaims: c.dataClaims,
    serviceaccounts: c.serviceAccounts,
    jobs: c.jobs,
    cronjobs: c.cronJobs,
    clusterroles: c.clusterRoles,
    clusterrolebindings: c.clusterRoleBindings,
  };
  return byPlural[type.plural];
}

function cacheFor(ctx: ControllerContext, type: ResourceType): WatchCache<KubeObject> {
  const cache = cacheOf(ctx, type);
  if (!cache) throw new Error(`no cache for ${type.plural}`);
  return cache;
}

async function writeStatus(ctx: ControllerContext, aj: KubeObject, next: AgentJobStatus): Promise<void> {
  const current = aj.status as AgentJobStatus | undefined;
  const status = keepRunFields(current, next);
  if (current && covers(current, status) && covers(status, current)) return;
  const written = await ctx.client.apply(
    agentJobs,
    {
      apiVersion: aj.apiVersion,
      kind: aj.kind,
      metadata: { name: aj.metadata?.name, namespace: aj.metadata?.namespace },
      status,
    },
    { fieldManager: FIELD_MANAGER, force: true, subresource: 'status' },
  );
  ctx.metrics.statusWrites.inc();
  ctx.caches.agentJobs.remember(written);
}

export async function reconcile(ctx: ControllerContext, key: string): Promise<Outcome> {
  const [namespace = '', name = ''] = key.split('/');
  const aj = ctx.caches.agentJobs.get(namespace, name);
  if (!aj?.metadata?.uid) return undefined;
  if (aj.metadata.deletionTimestamp) {
    await finalize(ctx, aj);
    return undefined;
  }
  const id: AgentJobIdentity = { name, namespace, uid: aj.metadata.uid };
  const previous = aj.status as AgentJobStatus | undefined;
  const now = ctx.now();
  const base = {
    generation: aj.metadata.generation ?? 0,
    previous,
    now: secondsIso(now) ?? now.toISOString(),
    ownedResources: previous?.ownedResources ?? [],
  };

  const parsed = parseSpec('AgentJob', aj.spec);
  if (!parsed.ok) {
    const status = computeStatus({
      ...base,
      scheduled: false,
      suspended: false,
      invalidSpec: `invalid spec: ${formatIssues(parsed.issues)}`,
    });
    await writeStatus(ctx, aj, status);
    recordTransitions(ctx, aj, previous, status);
    throw new ThurkubeError('Invalid', status.message ?? 'invalid spec');
  }
  const spec = parsed.value;
  const scheduled = spec.schedule !== undefined;
  if (spec.clusterAccessRef && !ctx.clusterAccess) {
    const message =
      'spec.clusterAccessRef: cluster access is turned off in this installation (Helm value clusterAccess.enabled); remove the reference or ask the platform team';
    const status = computeStatus({ ...base, scheduled, suspended: spec.suspend, invalidSpec: message });
    await writeStatus(ctx, aj, status);
    recordTransitions(ctx, aj, previous, status);
    throw new ThurkubeError('Invalid', message);
  }
  const lookup = (kind: ReferencedKind, refName: string) =>
    ctx.caches.refs[kind].get(namespace, refName) as { spec?: unknown } | undefined;
  const resolution = resolveRefs(spec, lookup);
  if (!resolution.ok) {
    // A ClusterAccess that was deleted (or broken) grants nothing any more.
    if (resolution.problems.some((p) => p.kind === 'ClusterAccess')) await revokeClusterRbac(ctx, aj);
    const missing = resolution.problems.every((p) => p.problem === 'missing');
    const message = `waiting for references: ${resolution.problems.map((p) => describeProblem(p, namespace)).join('; ')}`;
    const status = computeStatus({
      ...base,
      scheduled,
      suspended: spec.suspend,
      refsProblem: { reason: missing ? 'RefsMissing' : 'RefsInvalid', message },
    });
    await writeStatus(ctx, aj, status);
    recordTransitions(ctx, aj, previous, status);
    return undefined;
  }

  const rendered = render({ agentJob: id, spec, refs: resolution.refs });
  const seen = seenChildren(ctx, id);
  const runNow = aj.metadata.annotations?.[ANNOTATION_RUN_NOW];
  const access = resolution.refs.clusterAccess;
  const grant = access
    ? grantFor({
        id,
        spec,
        access,
        annotation: aj.metadata.annotations?.[ANNOTATION_AUTHORIZATION],
        key: ctx.accessKey,
      })
    : undefined;
  const rbacOwner = access ? clusterRbacOwner(ctx, id) : undefined;
  const todo = plan({ id, spec, refs: resolution.refs, rendered, seen, previous, runNow, grant, rbacOwner });

  const { changes, applyError } = await applyPlan(ctx, aj, todo, seen);

  const after = seenChildren(ctx, id);
  const next = scheduled && !spec.suspend ? nextRunTime(spec.schedule ?? '', spec.timezone, now) : undefined;
  const computed = computeStatus({
    ...base,
    scheduled,
    suspended: spec.suspend,
    applyError,
    configHash: rendered.configHash,
    job: after.jobs.find((j) => j.metadata?.name === todo.currentJobName),
    cronJob: after.cronJob,
    runNowJobs: after.jobs.filter(
      (j) => j.metadata?.annotations?.['cronjob.kubernetes.io/instantiate'] === 'manual',
    ),
    nextRunTime: next,
    handledRunNow: todo.handledRunNow,
    ownedResources: todo.ownedResources,
    held: todo.held,
    access: grant && {
      authorized: grant.granted && grant.authorized,
      reason: grant.reason,
      message: grant.message,
    },
  });
  const runs = observeRuns(ctx, computed, {
    previous,
    spec,
    jobs: after.jobs,
    removed: todo.remove,
    currentJobName: todo.currentJobName,
    adoptedRun: todo.adopted?.record,
    generation: base.generation,
    now: base.now,
  });
  const status = runs.status;
  await writeStatus(ctx, aj, status);
  recordTransitions(ctx, aj, previous, status, changes, todo.runNowSkipped, todo.runNowSkippedWhy);
  reportRuns(ctx, aj, runs.history.changes);
  if (applyError) throw new ThurkubeError('Invalid', applyError.message);
  if (unblockedItself(aj, todo, after)) return { requeueAfterMs: 0 };
  // Refresh nextRunTime once the schedule has fired, even if nothing else changes.
  if (next) return { requeueAfterMs: Math.max(1000, Date.parse(next) - now.getTime() + 1000) };
  return undefined;
}

/**
 * What this reconcile wrote is the next step's condition, and the controller's own writes wake
 * nobody (handlers.ts): the runner ServiceAccount now has the uid its Job or CronJob waits for, or
 * the cluster RBAC is gone and the finalizer may go. Then again at once, not on some later event.
 */
function unblockedItself(aj: KubeObject, todo: Plan, after: ChildrenSeen): boolean {
  return (
    (todo.waitingForRunner === true && after.serviceAccount?.metadata?.uid !== undefined) ||
    (hasFinalizer(aj) && todo.remove.some((r) => !r.type.namespaced))
  );
}

/** Writes a plan's children; one the API server refuses is reported in status, not retried. */
async function applyPlan(
  ctx: ControllerContext,
  aj: KubeObject,
  todo: Plan,
  seen: ChildrenSeen,
): Promise<{ changes: string[]; applyError?: Observation['applyError'] }> {
  const changes: string[] = [];
  try {
    if (todo.needsFinalizer && !hasFinalizer(aj)) await setFinalizer(ctx, aj, true);
    // Children do not depend on each other at the API (a pod waits for its ConfigMap), so they
    // are written in parallel: one reconcile costs one round trip, not one per child.
    const results = await Promise.all(
      todo.apply.map(({ type, object }) => applyIfChanged(ctx, type, cacheFor(ctx, type), object)),
    );
    results.forEach((result, i) => {
      const { type, object } = todo.apply[i] ?? {};
      if (result !== 'unchanged') changes.push(`${result} ${type?.kind} ${object?.metadata?.name}`);
    });
    await Promise.all(
      todo.remove.map((r) => removeChild(ctx, r.type, cacheOf(ctx, r.type), r.namespace, r.name, r.uid)),
    );
    for (const r of todo.remove) changes.push(`deleted ${r.type.kind} ${r.name} (${r.why})`);
    if (!todo.needsFinalizer && hasFinalizer(aj) && !seen.clusterRole && !seen.clusterRoleBinding) {
      await setFinalizer(ctx, aj, false);
    }
    return { changes };
  } catch (error) {
    // The API server refused a child (e.g. an env name it does not accept): report, do not retry.
    if (!isKind(error, 'Invalid') && !isKind(error, 'Forbidden') && !isKind(error, 'Conflict')) throw error;
    const reason = isKind(error, 'Conflict') ? 'ChildConflict' : 'ChildRejected';
    return { changes, applyError: { reason, message: messageOf(error) } };
  }
}
