/**
 * Writes children with server-side apply (field manager `thurkube`), only when the cache shows
 * the live object differs from the desired one. Objects we already own are applied with force;
 * an object of the same name that we do not own yet is applied without force, so a conflict with
 * another manager is reported instead of silently overwriting someone else's object.
 */
import { covers } from '../shared/equality.js';
import { isKind, ThurkubeError } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import type { ResourceType } from '../shared/kube/resources.js';
import type { WatchCache } from '../shared/kube/watch-cache.js';
import { FIELD_MANAGER } from '../shared/labels.js';
import type { ControllerContext } from './context.js';

export type ApplyResult = 'unchanged' | 'created' | 'updated';

/**
 * What of a desired object can be compared with the cache. A Job's pod template cannot change
 * after creation and is named by its hash (N-<configHash>), so it is left out; the cache does not
 * keep it either (caches.ts).
 */
function comparable(type: ResourceType, desired: KubeObject): KubeObject {
  if (type.kind !== 'Job') return desired;
  const { template: _template, ...spec } = (desired.spec ?? {}) as Record<string, unknown>;
  return { ...desired, spec };
}

export async function applyIfChanged(
  ctx: ControllerContext,
  type: ResourceType,
  cache: WatchCache<KubeObject>,
  desired: KubeObject,
): Promise<ApplyResult> {
  const live = cache.get(desired.metadata?.namespace, desired.metadata?.name ?? '');
  if (live && covers(live, comparable(type, desired))) return 'unchanged';
  // A cluster-scoped name can be wanted by two AgentJobs (see clusterRbacTwins), and both write
  // as `thurkube`, so an apply would silently take over the other's object: one we do not hold
  // yet is created, and AlreadyExists is a conflict to report, never an overwrite.
  const written =
    !live && !type.namespaced
      ? await createNew(ctx, type, desired)
      : await ctx.client.apply(type, desired, { fieldManager: FIELD_MANAGER, force: live !== undefined });
  ctx.metrics.applies.inc({ kind: type.kind });
  cache.remember(written);
  return live ? 'updated' : 'created';
}

async function createNew(
  ctx: ControllerContext,
  type: ResourceType,
  desired: KubeObject,
): Promise<KubeObject> {
  try {
    return await ctx.client.create(type, desired, { fieldManager: FIELD_MANAGER });
  } catch (error) {
    // Not in the cache yet: the next reconcile sees whose it is (ours, or another AgentJob's).
    if (error instanceof ThurkubeError && error.reason === 'AlreadyExists')
      throw new ThurkubeError(
        'Transient',
        `${type.kind} ${desired.metadata?.name} exists but is not cached yet`,
        {
          cause: error,
        },
      );
    throw error;
  }
}

/**
 * Deletes a child; one already gone counts as done. Background propagation removes its pods.
 * With `uid`, only that very object: one recreated meanwhile (by another owner) stays.
 */
export async function removeChild(
  ctx: ControllerContext,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  uid?: string,
): Promise<void> {
  try {
    await ctx.client.delete(
      type,
      { namespace, name },
      { propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) },
    );
    ctx.metrics.deletes.inc({ kind: type.kind });
  } catch (error) {
    // A failed uid precondition is a 409: the object by that name is no longer the one we own.
    if (!isKind(error, 'NotFound') && !(uid && isKind(error, 'Conflict'))) throw error;
  }
}
