/**
 * What the controller should do for one AgentJob, decided without I/O from its spec, resolved
 * references and the children the caches hold: objects to apply, objects to remove, whether the
 * finalizer is needed, and whether a run-now request starts a run.
 */
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import type { KubeObject } from '../shared/kube/client.js';
import { RESOURCES, type ResourceType } from '../shared/kube/resources.js';
import { ANNOTATION_RUNNER_UID } from '../shared/labels.js';
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
import { type Adoption, adoption } from './adoption.js';
import type { AccessGrant } from './cluster-access.js';
import { decideRunNow } from './run-now.js';
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
  /** With a clusterAccessRef: what the recorded authorization grants (cluster-access.ts). */
  grant?: AccessGrant;
  /** Another AgentJob owns the cluster RBAC names this one would use, e.g. `AgentJob "x" in ...`. */
  rbacOwner?: string;
}

export interface Removal {
  type: ResourceType;
  namespace?: string;
  name: string;
  why: string;
  /** Delete only this very object (a precondition), for names another AgentJob may take. */
  uid?: string;
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
  /** Why that run-now value started nothing (suspended, held, a run in progress under Forbid). */
  runNowSkippedWhy?: string;
  /** The Rust original's run of the same agent.json, taken over as the current run (adoption.ts). */
  adopted?: Adoption;
  /** Why no run may start (cluster access that cannot be granted); runs resume once it can. */
  held?: { reason: 'NotAuthorized' | 'NameConflict'; message: string };
  /**
   * Granted cluster access: the uid of the runner ServiceAccount, stamped on the pod template
   * (ANNOTATION_RUNNER_UID) so that the admission webhook lets only these pods use it. Until the
   * ServiceAccount exists, no run starts (`waitingForRunner`); its creation wakes the next reconcile.
   */
  runnerUid?: string;
  waitingForRunner?: boolean;
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

/**
 * The Job or CronJob with the runner's uid on its pod template. Added after the configHash is
 * taken: a recreated ServiceAccount must not start a new run by itself.
 */
function stamped<T extends V1Job | V1CronJob>(object: T, runnerUid: string | undefined): T {
  if (!runnerUid) return object;
  const copy = structuredClone(object);
  const template =
    copy.kind === 'CronJob'
      ? (copy as V1CronJob).spec?.jobTemplate.spec?.template
      : (copy as V1Job).spec?.template;
  if (template)
    template.metadata = {
      ...template.metadata,
      annotations: { ...template.metadata?.annotations, [ANNOTATION_RUNNER_UID]: runnerUid },
    };
  return copy;
}

/** Why the cluster access an AgentJob asks for cannot be granted now, if it cannot. */
function heldBy(input: PlanInput): Plan['held'] {
  const { id, refs, grant, rbacOwner } = input;
  if (!refs.clusterAccess) return undefined;
  if (rbacOwner) {
    const rbacName = clusterRbacName(id.namespace, id.name);
    return {
      reason: 'NameConflict',
      message: `ClusterRole and ClusterRoleBinding "${rbacName}" belong to ${rbacOwner}; rename this AgentJob to run it with ClusterAccess "${refs.clusterAccess.name}"`,
    };
  }
  if (!grant?.granted)
    return { reason: 'NotAuthorized', message: grant?.message ?? 'cluster access is not authorized' };
  return undefined;
}

/**
 * The runner ServiceAccount and cluster RBAC while the ClusterAccess is granted, with the rules
 * the authorization covers; removed (only ours) when it is not, or no longer asked for.
 */
function planClusterRbac(input: PlanInput, out: Plan, own: Own): void {
  const { id, refs, seen, grant } = input;
  const rbacName = clusterRbacName(id.namespace, id.name);
  out.held = heldBy(input);
  if (refs.clusterAccess && !out.held && grant?.granted) {
    out.needsFinalizer = true;
    out.apply.push(
      { type: RESOURCES.serviceAccounts, object: obj(desiredServiceAccount(id)) },
      { type: RESOURCES.clusterRoles, object: obj(desiredClusterRole(id, grant.rules)) },
      { type: RESOURCES.clusterRoleBindings, object: obj(desiredClusterRoleBinding(id)) },
    );
    own('ServiceAccount', runnerServiceAccountName(id.name));
    own('ClusterRole', rbacName);
    own('ClusterRoleBinding', rbacName);
    out.runnerUid = seen.serviceAccount?.metadata?.uid;
    out.waitingForRunner = out.runnerUid === undefined;
    return;
  }
  const why = refs.clusterAccess ? 'the ClusterAccess is not granted' : 'clusterAccessRef was removed';
  // `seen` holds only objects labelled with this AgentJob's uid: another's are never touched.
  for (const [type, object] of [
    [RESOURCES.clusterRoleBindings, seen.clusterRoleBinding],
    [RESOURCES.clusterRoles, seen.clusterRole],
  ] as const)
    if (object) out.remove.push({ type, name: rbacName, why, uid: object.metadata?.uid });
  if (seen.serviceAccount && !refs.clusterAccess) {
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

/** The Job of the current configHash; older runs still active are stopped. */
function planOneShot(input: PlanInput, out: Plan, own: Own): void {
  const { id, spec, rendered, seen, previous } = input;
  const job = stamped(desiredJob(id, rendered, spec.suspend), out.runnerUid);
  out.adopted = adoptionFor(input);
  if (out.adopted && job.metadata) job.metadata.name = out.adopted.jobName;
  const name = job.metadata?.name ?? '';
  out.currentJobName = name;
  const exists = seen.jobs.some((j) => j.metadata?.name === name);
  // A finished run whose Job was cleaned up (TTL) is not run again for the same configHash.
  const alreadyRan =
    (!exists &&
      previous?.configHash === rendered.configHash &&
      (previous.phase === 'Succeeded' || previous.phase === 'Failed')) ||
    (out.adopted !== undefined && !out.adopted.live);
  // A held run is not started; a Job of this configHash that already exists is left as it is.
  if (!alreadyRan && ((!out.held && !out.waitingForRunner) || exists)) {
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

const adoptionFor = ({ id, rendered, seen, previous }: PlanInput) =>
  adoption({
    agentJobName: id.name,
    uid: id.uid,
    agentJson: rendered.agentJson,
    configHash: rendered.configHash,
    jobs: seen.jobs,
    previous,
  });

/** The CronJob, and the run-now Job when the annotation has a new value. */
function planScheduled(input: PlanInput, schedule: string, out: Plan, own: Own): void {
  const { id, spec, rendered, seen, previous } = input;
  // Held, the CronJob starts nothing until the cluster access can be granted.
  const paused = spec.suspend || out.held !== undefined;
  own('CronJob', cronJobName(id.name));
  if (spec.suspend)
    for (const job of seen.jobs.filter(isActive))
      removeJob(out, id.namespace, job, 'the AgentJob is suspended');
  // The runner ServiceAccount's uid goes into the template: nothing to write until it exists.
  if (out.waitingForRunner) return;
  out.apply.push({
    type: RESOURCES.cronJobs,
    object: obj(
      stamped(
        desiredCronJob(id, rendered, { ...spec, suspend: paused }, { schedule, timezone: spec.timezone }),
        out.runnerUid,
      ),
    ),
  });
  const value = input.runNow;
  if (value && value !== previous?.handledRunNow) {
    out.handledRunNow = value;
    const pausedWhy = spec.suspend ? 'the AgentJob is suspended' : out.held?.message;
    const active = spec.suspend ? [] : seen.jobs.filter((j) => isActive(j) && !j.metadata?.deletionTimestamp);
    const decision = decideRunNow(spec.concurrencyPolicy, active, pausedWhy);
    if (!decision.start) {
      out.runNowSkipped = value;
      out.runNowSkippedWhy = decision.why;
      return;
    }
    for (const job of decision.stop) removeJob(out, id.namespace, job, decision.why ?? 'replaced');
    out.apply.push({
      type: RESOURCES.jobs,
      object: obj(stamped(desiredRunNowJob(id, rendered, value), out.runnerUid)),
    });
  }
}
