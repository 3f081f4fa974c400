/**
 * The finalizer `thurkube.thurbeen.eu/finalizer` guards the cluster-scoped children (ClusterRole
 * and ClusterRoleBinding `thurkube-NS-N`), which no ownerReference can collect. Guarantees:
 * - it is added before the first cluster-scoped child is created;
 * - on deletion, both objects are deleted (or already gone) before the finalizer is removed;
 * - it is removed when no cluster-scoped child remains, so deleting an AgentJob never hangs on us
 *   longer than one reconcile.
 * Namespaced children carry an ownerReference and are collected by the garbage collector.
 */
import { isKind, messageOf } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import { ourResource, RESOURCES } from '../shared/kube/resources.js';
import { FIELD_MANAGER, FINALIZER } from '../shared/labels.js';
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

export async function finalize(ctx: ControllerContext, aj: KubeObject): Promise<void> {
  if (!hasFinalizer(aj)) return;
  const name = clusterRbacName(aj.metadata?.namespace ?? '', aj.metadata?.name ?? '');
  try {
    await removeChild(ctx, RESOURCES.clusterRoleBindings, undefined, name);
    await removeChild(ctx, RESOURCES.clusterRoles, undefined, name);
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
