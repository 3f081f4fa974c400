/**
 * Writes children with server-side apply (field manager `thurkube`), only when the cache shows
 * the live object differs from the desired one. Objects we already own are applied with force;
 * an object of the same name that we do not own yet is applied without force, so a conflict with
 * another manager is reported instead of silently overwriting someone else's object; one that
 * carries rights is never taken over at all (carriesRights).
 */
import { covers } from '../shared/equality.js';
import { isKind, ThurkubeError } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import type { ResourceType } from '../shared/kube/resources.js';
import type { WatchCache } from '../shared/kube/watch-cache.js';
import {
  FIELD_MANAGER,
  LABEL_AGENTJOB,
  LABEL_AGENTJOB_NAMESPACE,
  LABEL_OWNER_UID,
} from '../shared/labels.js';
import type { ControllerContext } from './context.js';
import { liveJobPatch } from './job-update.js';

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

/**
 * Children that carry rights: the runner ServiceAccount and the cluster RBAC. An object of that
 * name that is not this AgentJob's (its owner-uid label) is never adopted: a ServiceAccount that
 * someone created first already runs their pods, and `thurkube-NS-N` can be another AgentJob's
 * name (clusterRbacTwins). Both AgentJobs write as `thurkube`, so an apply would not even conflict.
 */
const carriesRights = (type: ResourceType) => !type.namespaced || type.kind === 'ServiceAccount';

const ownerOf = (o: KubeObject | undefined) => o?.metadata?.labels?.[LABEL_OWNER_UID];

function notOurs(type: ResourceType, o: KubeObject): ThurkubeError {
  const labels = o.metadata?.labels ?? {};
  const owner = labels[LABEL_AGENTJOB]
    ? `AgentJob "${labels[LABEL_AGENTJOB]}" in namespace "${labels[LABEL_AGENTJOB_NAMESPACE]}"`
    : 'someone else (it was not created by thurkube for this AgentJob)';
  return new ThurkubeError(
    'Conflict',
    `${type.kind} ${o.metadata?.name} already exists and belongs to ${owner}; thurkube does not take it over`,
  );
}

export async function applyIfChanged(
  ctx: ControllerContext,
  type: ResourceType,
  cache: WatchCache<KubeObject>,
  desired: KubeObject,
): Promise<ApplyResult> {
  const live = cache.get(desired.metadata?.namespace, desired.metadata?.name ?? '');
  const guarded = carriesRights(type);
  if (guarded && live && ownerOf(live) !== ownerOf(desired)) throw notOurs(type, live);
  const foreign = live ? foreignConfigKeys(type, live, desired) : [];
  if (foreign.length > 0) await dropConfigKeys(ctx, type, live as KubeObject, foreign);
  else if (live && covers(live, comparable(type, desired))) return 'unchanged';
  if (live && type.kind === 'Job') return patchLiveJob(ctx, type, cache, live, desired);
  const written =
    guarded && !live
      ? await createNew(ctx, type, desired)
      : await ctx.client.apply(type, desired, { fieldManager: FIELD_MANAGER, force: live !== undefined });
  ctx.metrics.applies.inc({ kind: type.kind });
  cache.remember(written);
  return live ? 'updated' : 'created';
}

/**
 * Keys of the agent's ConfigMap that thurkube did not write. The runtime reads `prompt.txt`,
 * `CLAUDE.md` and `mcp-config.json` beside `agent.json` and lets them win (the runtime contract),
 * so a key added by someone who may edit ConfigMaps would change what the run does; a server-side
 * apply leaves another manager's keys alone, so they are removed explicitly.
 */
function foreignConfigKeys(type: ResourceType, live: KubeObject, desired: KubeObject): string[] {
  if (type.kind !== 'ConfigMap') return [];
  const wanted = new Set(Object.keys((desired.data as Record<string, string> | undefined) ?? {}));
  const keys = (field: string) => Object.keys((live[field] as Record<string, string> | undefined) ?? {});
  return [...keys('data').filter((k) => !wanted.has(k)), ...keys('binaryData').map((k) => `binaryData/${k}`)];
}

async function dropConfigKeys(ctx: ControllerContext, type: ResourceType, live: KubeObject, keys: string[]) {
  const data = Object.fromEntries(keys.filter((k) => !k.startsWith('binaryData/')).map((k) => [k, null]));
  const binaryData = Object.fromEntries(
    keys.filter((k) => k.startsWith('binaryData/')).map((k) => [k.slice('binaryData/'.length), null]),
  );
  await ctx.client.patch(
    type,
    { namespace: live.metadata?.namespace, name: live.metadata?.name },
    { data, binaryData },
  );
  ctx.events.record(
    {
      name: live.metadata?.labels?.[LABEL_AGENTJOB] ?? '',
      namespace: live.metadata?.namespace ?? '',
      uid: live.metadata?.labels?.[LABEL_OWNER_UID] ?? '',
    },
    'Warning',
    'ConfigRestored',
    `removed ${keys.join(', ')} from ConfigMap ${live.metadata?.name}: only agent.json is written by thurkube, and the runtime would have read them`,
  );
}

/** Creates a child that must not exist yet; one that does is ours only if labelled so. */
async function createNew(
  ctx: ControllerContext,
  type: ResourceType,
  desired: KubeObject,
): Promise<KubeObject> {
  try {
    return await ctx.client.create(type, desired, { fieldManager: FIELD_MANAGER });
  } catch (error) {
    if (!(error instanceof ThurkubeError && error.reason === 'AlreadyExists')) throw error;
    const at = { namespace: desired.metadata?.namespace, name: desired.metadata?.name };
    const existing = await ctx.client.get(type, at);
    // Ours but not cached yet: the next reconcile, once the watch has it, applies it.
    if (ownerOf(existing) === ownerOf(desired))
      throw new ThurkubeError('Transient', `${type.kind} ${at.name} exists but is not cached yet`, {
        cause: error,
      });
    throw notOurs(type, existing);
  }
}

/** A Job that exists gets only its mutable fields (job-update.ts): its template cannot change. */
async function patchLiveJob(
  ctx: ControllerContext,
  type: ResourceType,
  cache: WatchCache<KubeObject>,
  live: KubeObject,
  desired: KubeObject,
): Promise<ApplyResult> {
  const patch = liveJobPatch(live, desired);
  if (!patch) return 'unchanged';
  const at = { namespace: desired.metadata?.namespace, name: desired.metadata?.name };
  const written = await ctx.client.patch<KubeObject>(type, at, patch, 'application/merge-patch+json', {
    fieldManager: FIELD_MANAGER,
  });
  ctx.metrics.applies.inc({ kind: type.kind });
  cache.remember(written);
  return 'updated';
}

/**
 * Deletes a child; one already gone counts as done. Background propagation removes its pods.
 * With `uid`, only that very object: one recreated meanwhile (by another owner) stays. The answer
 * goes into the cache, as a write's does: the reconcile goes on without the child, and the watch's
 * DELETED event, ours, wakes nobody (before, it woke the AgentJob for a reconcile with nothing to
 * do: one in each AgentJob's fan-out, which replaces its Job).
 */
export async function removeChild(
  ctx: ControllerContext,
  type: ResourceType,
  cache: WatchCache<KubeObject> | undefined,
  namespace: string | undefined,
  name: string,
  uid?: string,
): Promise<void> {
  let answer: DeleteAnswer;
  try {
    answer = (await ctx.client.delete(
      type,
      { namespace, name },
      { propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) },
    )) as DeleteAnswer;
    ctx.metrics.deletes.inc({ kind: type.kind });
  } catch (error) {
    // A failed uid precondition is a 409: the object by that name is no longer the one we own.
    if (!isKind(error, 'NotFound') && !(uid && isKind(error, 'Conflict'))) throw error;
    // Gone already: what the cache still holds by that name is stale.
    const stale = isKind(error, 'NotFound') ? cache?.get(namespace, name)?.metadata?.uid : undefined;
    if (stale) cache?.forget(namespace, name, stale);
    return;
  }
  if (!cache) return;
  // Still there with its deletion under way (a finalizer of someone else's): a new version of it.
  if (answer?.metadata?.deletionTimestamp) cache.remember(answer);
  else {
    const deleted = answer?.details?.uid ?? answer?.metadata?.uid ?? uid;
    if (deleted) cache.forget(namespace, name, deleted);
  }
}

/** What a DELETE answers: the object while finalizers hold it, else a Status naming what went. */
type DeleteAnswer = (KubeObject & { details?: { uid?: string } }) | undefined;
