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
import { agentConfig, agentJson } from './agent-config.js';
import { configHash, sha256Hex } from './hash.js';
import { podTemplate } from './pod.js';
import type { AgentJobIdentity, RenderInput } from './refs.js';

export const CONFIG_KEY = 'agent.json';
export const DATA_CLAIM_SIZE = '1Gi';
export const FINISHED_JOB_TTL_SECONDS = 86_400;
export const HISTORY_LIMIT = 3;

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
  const jobSpec: V1JobSpec = {
    backoffLimit: 0,
    activeDeadlineSeconds: input.spec.timeoutSeconds,
    ttlSecondsAfterFinished: FINISHED_JOB_TTL_SECONDS,
    template,
  };
  return { agentJson: json, configHash: configHash(json, jobSpec), jobSpec };
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

export function desiredCronJob(
  agentJob: AgentJobIdentity,
  rendered: Rendered,
  schedule: { schedule: string; timezone: string; suspend: boolean },
): V1CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(agentJob, cronJobName(agentJob.name)),
    spec: {
      schedule: schedule.schedule,
      timeZone: schedule.timezone,
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: HISTORY_LIMIT,
      failedJobsHistoryLimit: HISTORY_LIMIT,
      suspend: schedule.suspend,
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
