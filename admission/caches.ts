/**
 * Watch caches of every thurkube kind: the seven an AgentJob refers to (reference checks and
 * namespace defaults) and AgentJobs themselves (who still uses an object being deleted). Objects
 * are trimmed to what the decisions read, so memory stays flat however large the objects are
 * (`kubectl apply` keeps a full copy in an annotation).
 */
import { KIND_NAMES, type KindName } from '../shared/api.js';
import type { KubeClient, KubeObject } from '../shared/kube/client.js';
import { ourResource } from '../shared/kube/resources.js';
import { WatchCache } from '../shared/kube/watch-cache.js';
import { ANNOTATION_DEFAULT } from '../shared/labels.js';

export type AdmissionCaches = Record<KindName, WatchCache<KubeObject>>;

function trim(object: KubeObject): KubeObject {
  const meta = object.metadata ?? {};
  const annotation = meta.annotations?.[ANNOTATION_DEFAULT];
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      ...(meta.deletionTimestamp ? { deletionTimestamp: meta.deletionTimestamp } : {}),
      ...(annotation === undefined ? {} : { annotations: { [ANNOTATION_DEFAULT]: annotation } }),
    },
    spec: object.spec,
  };
}

export function createCaches(client: KubeClient, onError?: (message: string) => void): AdmissionCaches {
  const caches = {} as AdmissionCaches;
  for (const kind of KIND_NAMES)
    caches[kind] = new WatchCache<KubeObject>({ client, type: ourResource(kind), transform: trim, onError });
  return caches;
}

/** Runs every cache until `signal` aborts. */
export function runCaches(caches: AdmissionCaches, signal: AbortSignal): Promise<void> {
  return Promise.all(Object.values(caches).map((cache) => cache.run(signal))).then(() => undefined);
}

/** Names of the caches that have not listed yet; empty when all are ready. */
export function unsynced(caches: AdmissionCaches): string[] {
  return Object.values(caches)
    .filter((cache) => !cache.health.synced)
    .map((cache) => cache.name);
}
