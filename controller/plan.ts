/**
 * What the controller should do for one AgentJob, decided without I/O from its spec, resolved
 * references and the children the caches hold: objects to apply, objects to remove, whether the
 * finalizer is needed, and whether a run-now request starts a run.
 */
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import type { KubeObject } from '../shared/kube/client.js';
import { RESOURCES, type ResourceType } from '../shared/kube/resources.js';
import {
  clusterRbacName,
  configMapName,
  cronJobName,
  dataClaimName,
  runnerServiceAccountName,
} from '../shared/names.js';
import {
  desiredClusterRole,
  desiredClusterRoleBinding,
  desiredConfigMap,
  desiredCronJob,
  desiredDataClaim,
  desiredJob,
  desiredRunNowJob,
  desiredServiceAccount,
  type Rendered,
} from '../shared/render/children.js';
import type { AgentJobIdentity, ResolvedRefs } from '../shared/render/refs.js';
import type { AgentJobSpec, AgentJobStatus } from '../shared/schemas/agent-job.js';
import { jobOutcome } from './status.js';

export interface ChildrenSeen {
  /** Jobs labelled for this AgentJob (one-shot runs, run-now runs, runs of its CronJob). */
  jobs: V1Job[];
  cronJob?: V1CronJob;
  dataClaim?: KubeObject;
  serviceAccount?: KubeObject;
  clusterRole?: KubeObject;
  clusterRoleBinding?: KubeObject;
}

export interface PlanInput {
  id: AgentJobIdentity;
  spec: AgentJobSpec;
  refs: ResolvedRefs;
  rendered: Rendered;
  seen: ChildrenSeen;
  previous?: AgentJobStatus;
  runNow?: string;
}

export interface Removal {
  type: ResourceType;
  namespace?: string;
  name: string;
  why: string;
}

export interface Plan {
  apply: { type: ResourceType; object: KubeObject }[];
  remove: Removal[];
  needsFinalizer: boolean;
  ownedResources: { kind: string; name: string }[];
  /** The Job of the current configHash (one-shot), if it should exist. */
  currentJobName?: string;
  handledRunNow?: string;
  runNowSkipped?: string;
}

/** The typed builders' objects, as the untyped form the client sends. */
const obj = (o: object) => o as KubeObject;

const isActive = (job: V1Job) => {
  const outcome = jobOutcome(job).outcome;
  return outcome === 'Running' || outcome === 'Pending';
};

export function plan(input: PlanInput): Plan {
  const { id, spec, rendered, seen } = input;
  const out: Plan = { apply: [], remove: [], needsFinalizer: false, ownedResources: [] };
  const own = (kind: string, name: string) => out.ownedResources.push({ kind, name });

  out.apply.push({ type: RESOURCES.configMaps, object: obj(desiredConfigMap(id, rendered)) });
  own('ConfigMap', configMapName(id.name));

  // The claim is created once and never changed or deleted here: it holds the user's data, and a
  // bound claim's spec is mostly immutable. It goes only with the AgentJob (owner reference).
  if (spec.persist && !seen.dataClaim)
    out.apply.push({ type: RESOURCES.persistentVolumeClaims, object: obj(desiredDataClaim(id)) });
  if (spec.persist || seen.dataClaim) own('PersistentVolumeClaim', dataClaimName(id.name));

  planClusterRbac(input, out, own);
  if (spec.schedule === undefined) planOneShot(input, out, own);
  else planScheduled(input, spec.schedule, out, own);
  return out;
}

type Own = (kind: string, name: string) => void;

const removeJob = (out: Plan, namespace: string, job: V1Job, why: string) =>
  out.remove.push({ type: RESOURCES.jobs, namespace, name: job.metadata?.name ?? '', why });

/** The runner ServiceAccount and cluster RBAC while clusterAccessRef is set; their removal after. */
function planClusterRbac(input: PlanInput, out: Plan, own: Own): void {
  const { id, refs, seen } = input;
  const rbacName = clusterRbacName(id.namespace, id.name);
  if (refs.clusterAccess) {
    out.needsFinalizer = true;
    out.apply.push(
      { type: RESOURCES.serviceAccounts, object: obj(desiredServiceAccount(id)) },
      { type: RESOURCES.clusterRoles, object: obj(desiredClusterRole(id, refs.clusterAccess.spec.rules)) },
      { type: RESOURCES.clusterRoleBindings, object: obj(desiredClusterRoleBinding(id)) },
    );
    own('ServiceAccount', runnerServiceAccountName(id.name));
    own('ClusterRole', rbacName);
    own('ClusterRoleBinding', rbacName);
  } else {
    const why = 'clusterAccessRef was removed';
    if (seen.clusterRoleBinding)
      out.remove.push({ type: RESOURCES.clusterRoleBindings, name: rbacName, why });
    if (seen.clusterRole) out.remove.push({ type: RESOURCES.clusterRoles, name: rbacName, why });
    if (seen.serviceAccount) {
      out.remove.push({
        type: RESOURCES.serviceAccounts,
        namespace: id.namespace,
        name: runnerServiceAccountName(id.name),
        why,
      });
    }
    // Keep the finalizer until the cluster-scoped objects are gone.
    out.needsFinalizer = !!(seen.clusterRole || seen.clusterRoleBinding);
  }
}

/** The Job of the current configHash; older runs still active are stopped. */
function planOneShot(input: PlanInput, out: Plan, own: Own): void {
  const { id, spec, rendered, seen, previous } = input;
  const job = desiredJob(id, rendered, spec.suspend);
  const name = job.metadata?.name ?? '';
  out.currentJobName = name;
  const exists = seen.jobs.some((j) => j.metadata?.name === name);
  // A finished run whose Job was cleaned up (TTL) is not run again for the same configHash.
  const alreadyRan =
    !exists &&
    previous?.configHash === rendered.configHash &&
    (previous.phase === 'Succeeded' || previous.phase === 'Failed');
  if (!alreadyRan) {
    out.apply.push({ type: RESOURCES.jobs, object: job as KubeObject });
    own('Job', name);
  }
  for (const old of seen.jobs) {
    if (old.metadata?.name !== name && isActive(old))
      removeJob(out, id.namespace, old, `superseded by Job ${name} (configHash ${rendered.configHash})`);
  }
  if (seen.cronJob) {
    out.remove.push({
      type: RESOURCES.cronJobs,
      namespace: id.namespace,
      name: cronJobName(id.name),
      why: 'schedule was removed',
    });
  }
}

/** The CronJob, and the run-now Job when the annotation has a new value. */
function planScheduled(input: PlanInput, schedule: string, out: Plan, own: Own): void {
  const { id, spec, rendered, seen, previous } = input;
  out.apply.push({
    type: RESOURCES.cronJobs,
    object: obj(
      desiredCronJob(id, rendered, {
        schedule,
        timezone: spec.timezone,
        suspend: spec.suspend,
      }),
    ),
  });
  own('CronJob', cronJobName(id.name));
  if (spec.suspend)
    for (const job of seen.jobs.filter(isActive))
      removeJob(out, id.namespace, job, 'the AgentJob is suspended');
  const value = input.runNow;
  if (value && value !== previous?.handledRunNow) {
    out.handledRunNow = value;
    if (spec.suspend) out.runNowSkipped = value;
    else out.apply.push({ type: RESOURCES.jobs, object: obj(desiredRunNowJob(id, rendered, value)) });
  }
}
