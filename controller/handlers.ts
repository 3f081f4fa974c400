/**
 * Which AgentJob keys a watch event wakes. Reconciles read from the caches, never from the
 * event, so a handler only has to name the right keys.
 */
import { KIND_NAMES, type ReferencedKind } from '../shared/api.js';
import { deepEqual } from '../shared/equality.js';
import type { KubeObject } from '../shared/kube/client.js';
import type { CacheEvent } from '../shared/kube/watch-cache.js';
import { LABEL_AGENTJOB, LABEL_AGENTJOB_NAMESPACE } from '../shared/labels.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';
import { allCaches, type Caches } from './caches.js';
import type { ReferenceIndex } from './ref-index.js';

/** A change the controller must act on; our own status writes are not one. */
export function agentJobChanged(event: CacheEvent<KubeObject>): boolean {
  if (event.type !== 'MODIFIED' || !event.old) return true;
  const a = event.old.metadata ?? {};
  const b = event.object.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !deepEqual(a.annotations, b.annotations) ||
    !deepEqual(a.finalizers, b.finalizers) ||
    a.uid !== b.uid
  );
}

export function wireHandlers(caches: Caches, index: ReferenceIndex, enqueue: (key: string) => void): void {
  caches.agentJobs.on((event) => {
    const { name = '', namespace = '' } = event.object.metadata ?? {};
    const key = `${namespace}/${name}`;
    if (event.type === 'DELETED') {
      index.remove(key);
      return;
    }
    index.set(key, namespace, event.object.spec as Partial<AgentJobSpec> | undefined);
    if (agentJobChanged(event)) enqueue(key);
  });

  for (const kind of KIND_NAMES.filter((k): k is ReferencedKind => k !== 'AgentJob')) {
    caches.refs[kind].on((event) => {
      if (event.type === 'MODIFIED' && event.old && deepEqual(event.old.spec, event.object.spec)) return;
      const { name = '', namespace = '' } = event.object.metadata ?? {};
      for (const key of index.usersOf(kind, namespace, name)) enqueue(key);
    });
  }

  const children = allCaches(caches).filter(
    (c) => c !== caches.agentJobs && !Object.values(caches.refs).includes(c),
  );
  for (const cache of children) {
    cache.on((event) => {
      // The answer to a child the reconcile itself wrote: that reconcile reads it from the cache
      // for the status it writes next, so there is nothing to wake. (Before, its watch echo woke
      // the AgentJob again: about two more reconciles for each new AgentJob, doing nothing.)
      if (event.own) return;
      const labels = event.object.metadata?.labels ?? {};
      const name = labels[LABEL_AGENTJOB];
      const namespace = labels[LABEL_AGENTJOB_NAMESPACE];
      if (name && namespace && caches.agentJobs.get(namespace, name)) enqueue(`${namespace}/${name}`);
    });
  }
}
