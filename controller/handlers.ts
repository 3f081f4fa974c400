/**
 * Which AgentJob keys a watch event wakes. Reconciles read from the caches, never from the
 * event, so a handler only has to name the right keys.
 */
import type { V1Job } from '@kubernetes/client-node';
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

/** The counts and times of a Job that say a run began or ended (status.ts and run-record.ts). */
const started = (job: KubeObject): boolean => {
  const status = (job as V1Job).status;
  return (
    (status?.active ?? 0) + (status?.succeeded ?? 0) + (status?.failed ?? 0) > 0 ||
    status?.completionTime !== undefined ||
    (status?.conditions?.length ?? 0) > 0
  );
};

/**
 * A change to a Job the controller must look at. Not one: the Job controller's first status on a
 * Job none of whose pods exists yet (startTime, ready 0, terminating 0), with its metadata and spec
 * unchanged: a run's record and the AgentJob's status read a Job's startTime only once it ran (a
 * pod's own events wake its AgentJob). Without this, every new Job cost its AgentJob a second
 * reconcile that wrote nothing. A Job started by hand ("run now" of a schedule) always counts:
 * its startTime is the AgentJob's lastRunTime.
 */
export function jobChanged(event: CacheEvent<KubeObject>): boolean {
  const { old, object } = event;
  if (event.type !== 'MODIFIED' || !old || started(old) || started(object)) return true;
  const a = old.metadata ?? {};
  const b = object.metadata ?? {};
  return (
    b.annotations?.['cronjob.kubernetes.io/instantiate'] === 'manual' ||
    a.uid !== b.uid ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !deepEqual(a.labels, b.labels) ||
    !deepEqual(a.annotations, b.annotations) ||
    !deepEqual(a.ownerReferences, b.ownerReferences) ||
    !deepEqual(old.spec, object.spec)
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
      if (cache === caches.jobs && !jobChanged(event)) return;
      const labels = event.object.metadata?.labels ?? {};
      const name = labels[LABEL_AGENTJOB];
      const namespace = labels[LABEL_AGENTJOB_NAMESPACE];
      if (name && namespace && caches.agentJobs.get(namespace, name)) enqueue(`${namespace}/${name}`);
    });
  }
}
