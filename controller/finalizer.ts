/**
 * The finalizer `thurkube.thurbeen.eu/finalizer` guards the cluster-scoped children (ClusterRole
 * and ClusterRoleBinding `thurkube-NS-N`), which no ownerReference can collect. Guarantees:
 * - it is added before the first cluster-scoped child is created;
 * - on deletion, both objects are deleted (or already gone) before the finalizer is removed, and
 *   only when they carry this AgentJob's uid: `thurkube-NS-N` can name another AgentJob's;
 * - it is removed when no cluster-scoped child remains, so deleting an AgentJob never hangs on us
 *   longer than one reconcile.
 * Namespaced children carry an ownerReference and are collected by the garbage collector.
 */
import { isKind, messageOf } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import { ourResource, RESOURCES, type ResourceType } from '../shared/kube/resources.js';
import type { WatchCache } from '../shared/kube/watch-cache.js';
import { FIELD_MANAGER, FINALIZER, LABEL_OWNER_UID } from '../shared/labels.js';
import { clusterRbacName } from '../shared/names.js';
import { removeChild } from './apply.js';
import type { ControllerContext } from './context.js';

const agentJobs = ourResource('AgentJob');

export const hasFinalizer = (aj: KubeObject) => aj.metadata?.finalizers?.includes(FINALIZER) ?? false;

/** Adds or drops our entry in metadata.finalizers; server-side apply leaves others' entries alone. */
export async function setFinalizer(ctx: ControllerContext, aj: KubeObject, present: boolean): Promise<void> {
  const written = await ctx.client.apply(
    agentJobs,
    {
      apiVersion: aj.apiVersion,
      kind: aj.kind,
      metadata: {
        name: aj.metadata?.name,
        namespace: aj.metadata?.namespace,
        finalizers: present ? [FINALIZER] : [],
      },
    },
    { fieldManager: FIELD_MANAGER, force: true },
  );
  ctx.metrics.applies.inc({ kind: 'AgentJob' });
  ctx.caches.agentJobs.remember(written);
}

/**
 * The uid of the cluster-scoped object `name` when it is this AgentJob's (its owner-uid label),
 * else undefined: a name shared with another AgentJob (clusterRbacTwins) is never deleted here.
 */
async function ownedUid(
  ctx: ControllerContext,
  type: ResourceType,
  cache: WatchCache<KubeObject> | undefined,
  name: string,
  uid: string,
): Promise<string | undefined> {
  let live: KubeObject | undefined;
  if (cache) live = cache.get(undefined, name);
  else
    try {
      live = await ctx.client.get(type, { name });
    } catch (error) {
      if (!isKind(error, 'NotFound')) throw error;
    }
  return live?.metadata?.labels?.[LABEL_OWNER_UID] === uid ? live.metadata?.uid : undefined;
}

/** Deletes this AgentJob's own ClusterRoleBinding and ClusterRole (never another's), if any. */
async function removeOwnedClusterRbac(ctx: ControllerContext, aj: KubeObject): Promise<void> {
  const name = clusterRbacName(aj.metadata?.namespace ?? '', aj.metadata?.name ?? '');
  const uid = aj.metadata?.uid ?? '';
  for (const [type, cache] of [
    [RESOURCES.clusterRoleBindings, ctx.caches.clusterRoleBindings],
    [RESOURCES.clusterRoles, ctx.caches.clusterRoles],
  ] as const) {
    const owned = await ownedUid(ctx, type, cache, name, uid);
    if (owned) await removeChild(ctx, type, cache, undefined, name, owned);
  }
}

/**
 * Its ClusterAccess is gone (deleted, or no longer valid): the rights it granted go at once, and
 * so does the finalizer, as when the reference is removed.
 */
export async function revokeClusterRbac(ctx: ControllerContext, aj: KubeObject): Promise<void> {
  if (!hasFinalizer(aj)) return;
  await removeOwnedClusterRbac(ctx, aj);
  await setFinalizer(ctx, aj, false);
}

export async function finalize(ctx: ControllerContext, aj: KubeObject): Promise<void> {
  if (!hasFinalizer(aj)) return;
  const name = clusterRbacName(aj.metadata?.namespace ?? '', aj.metadata?.name ?? '');
  try {
    await removeOwnedClusterRbac(ctx, aj);
  } catch (error) {
    // Cluster access was turned off after this AgentJob used it: the controller may no longer
    // delete them. Holding the AgentJob forever would not help; say what is left behind.
    if (!isKind(error, 'Forbidden')) throw error;
    ctx.events.record(
      { name: aj.metadata?.name ?? '', namespace: aj.metadata?.namespace ?? '', uid: aj.metadata?.uid ?? '' },
      'Warning',
      'ClusterRBACLeft',
      `ClusterRole and ClusterRoleBinding ${name} could not be deleted (${messageOf(error)}); delete them by hand`,
    );
  }
  await setFinalizer(ctx, aj, false);
  ctx.log.info(
    { agentJob: `${aj.metadata?.namespace}/${aj.metadata?.name}`, clusterRole: name },
    'cluster RBAC removed, finalizer released',
  );
}
