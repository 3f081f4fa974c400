/**
 * Desired children of an AgentJob, built from its spec and resolved references with no I/O. The
 * controller applies them; the admission webhook dry-runs the Job or CronJob to catch, at apply
 * time, what the API server would reject later.
 */
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1CronJob,
  V1Job,
  V1JobSpec,
  V1ObjectMeta,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1PolicyRule,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { API_VERSION } from '../api.js';
import { childLabels } from '../labels.js';
import {
  clusterRbacName,
  configMapName,
  cronJobName,
  dataClaimName,
  jobName,
  runNowJobName,
  runnerServiceAccountName,
} from '../names.js';
import type { AgentJobSpec } from '../schemas/agent-job.js';
import { agentConfig, agentJson } from './agent-config.js';
import { configHash, sha256Hex } from './hash.js';
import { podTemplate } from './pod.js';
import type { AgentJobIdentity, RenderInput } from './refs.js';
import { withRunReporting } from './reporting.js';

export const CONFIG_KEY = 'agent.json';
export const DATA_CLAIM_SIZE = '1Gi';
export const FINISHED_JOB_TTL_SECONDS = 86_400;

export function ownerReference(agentJob: AgentJobIdentity): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: 'AgentJob',
    name: agentJob.name,
    uid: agentJob.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function meta(agentJob: AgentJobIdentity, name: string, namespaced = true): V1ObjectMeta {
  return namespaced
    ? {
        name,
        namespace: agentJob.namespace,
        labels: childLabels(agentJob),
        ownerReferences: [ownerReference(agentJob)],
      }
    : { name, labels: childLabels(agentJob) };
}

export interface Rendered {
  agentJson: string;
  configHash: string;
  jobSpec: V1JobSpec;
}

/** The pieces every child is made from, computed once per reconcile. */
export function render(input: RenderInput): Rendered {
  const json = agentJson(agentConfig(input.spec, input.refs));
  const template = podTemplate(input);
  const hashed: V1JobSpec = {
    backoffLimit: input.spec.retries,
    activeDeadlineSeconds: input.spec.timeoutSeconds,
    ttlSecondsAfterFinished: FINISHED_JOB_TTL_SECONDS,
    template,
  };
  return { agentJson: json, configHash: configHash(json, hashed), jobSpec: withRunReporting(hashed) };
}

export function desiredConfigMap(agentJob: AgentJobIdentity, rendered: Rendered): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(agentJob, configMapName(agentJob.name)),
    data: { [CONFIG_KEY]: rendered.agentJson },
  };
}

/** One-shot run. `suspend` stops an active run (its pod is deleted) and keeps the Job. */
export function desiredJob(agentJob: AgentJobIdentity, rendered: Rendered, suspend: boolean): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(agentJob, jobName(agentJob.name, rendered.configHash)),
    spec: { ...rendered.jobSpec, suspend },
  };
}

/**
 * The CronJob of a scheduled AgentJob: its schedule and run policies (schemas/run-policy.ts).
 * `when` replaces the spec's schedule and time zone (the webhook's dry-run passes placeholders
 * where the AgentJob's own values are already reported as wrong).
 */
export function desiredCronJob(
  agentJob: AgentJobIdentity,
  rendered: Rendered,
  spec: AgentJobSpec,
  when: { schedule: string; timezone: string } = { schedule: spec.schedule ?? '', timezone: spec.timezone },
): V1CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(agentJob, cronJobName(agentJob.name)),
    spec: {
      schedule: when.schedule,
      timeZone: when.timezone,
      concurrencyPolicy: spec.concurrencyPolicy,
      successfulJobsHistoryLimit: spec.successfulRunsHistoryLimit,
      failedJobsHistoryLimit: spec.failedRunsHistoryLimit,
      ...(spec.startingDeadlineSeconds === undefined
        ? {}
        : { startingDeadlineSeconds: spec.startingDeadlineSeconds }),
      suspend: spec.suspend,
      jobTemplate: { metadata: { labels: childLabels(agentJob) }, spec: rendered.jobSpec },
    },
  };
}

/** A run started by the run-now annotation, like `kubectl create job --from=cronjob/N`. */
export function desiredRunNowJob(agentJob: AgentJobIdentity, rendered: Rendered, value: string): V1Job {
  const metadata = meta(agentJob, runNowJobName(agentJob.name, sha256Hex(value)));
  metadata.annotations = { 'cronjob.kubernetes.io/instantiate': 'manual' };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: { ...rendered.jobSpec } };
}

export function desiredDataClaim(agentJob: AgentJobIdentity): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(agentJob, dataClaimName(agentJob.name)),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: DATA_CLAIM_SIZE } } },
  };
}

export function desiredServiceAccount(agentJob: AgentJobIdentity): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(agentJob, runnerServiceAccountName(agentJob.name)),
  };
}

/** Cluster-scoped: no ownerReference can point at a namespaced AgentJob, so a finalizer removes it. */
export function desiredClusterRole(agentJob: AgentJobIdentity, rules: V1PolicyRule[]): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(agentJob, clusterRbacName(agentJob.namespace, agentJob.name), false),
    rules,
  };
}

export function desiredClusterRoleBinding(agentJob: AgentJobIdentity): V1ClusterRoleBinding {
  const name = clusterRbacName(agentJob.namespace, agentJob.name);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(agentJob, name, false),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [
      {
        kind: 'ServiceAccount',
        name: runnerServiceAccountName(agentJob.name),
        namespace: agentJob.namespace,
      },
    ],
  };
}
