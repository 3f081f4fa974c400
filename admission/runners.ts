/**
 * The runner ServiceAccount `N-runner` of an AgentJob holds its ClusterAccess rules, and
 * Kubernetes lets anyone who may create pods (or Jobs, Deployments, token Secrets...) in the
 * namespace act as any ServiceAccount there. This guard lets only thurkube's own runs use one:
 * a Pod only from the Job controller and only with the runner's uid on it (which the controller
 * stamps on the templates it writes, and which no template written before that ServiceAccount
 * existed can hold); a Job only from the thurkube controller or the CronJob controller; a CronJob
 * only from the thurkube controller; no token Secret, no ephemeral container, and tokens only for
 * the kubelet. A ServiceAccount named `-runner` that thurkube did not create is left alone.
 */
import type { KubeObject } from '../shared/kube/client.js';
import { ANNOTATION_RUNNER_UID, LABEL_MANAGED_BY, MANAGED_BY } from '../shared/labels.js';
import { RUNNER_SUFFIX } from '../shared/webhooks.js';
import type { Lookups } from './lookups.js';
import type { AdmissionRequest } from './review.js';
import { type Settings, type Verdict, verdict } from './verdict.js';

/** Who creates pods from Jobs, and Jobs from CronJobs (with and without per-controller credentials). */
export const JOB_CONTROLLERS = [
  'system:serviceaccount:kube-system:job-controller',
  'system:kube-controller-manager',
];
export const CRONJOB_CONTROLLERS = [
  'system:serviceaccount:kube-system:cronjob-controller',
  'system:kube-controller-manager',
];

type PodSpec = { serviceAccountName?: string };
type Template = { metadata?: { annotations?: Record<string, string> }; spec?: PodSpec };

interface Use {
  /** Where the ServiceAccount is named, for the message. */
  field: string;
  account: string;
  decide(uid: string): string | undefined;
}

function useOf(request: AdmissionRequest, settings: Settings): Use | undefined {
  const o = (request.object ?? {}) as KubeObject & { spec?: Record<string, unknown>; type?: string };
  const user = request.userInfo.username;
  const fromController = (settings.controllerUsers ?? []).includes(user);
  const owner = o.metadata?.ownerReferences?.find((r) => r.controller);
  switch (request.resource?.resource) {
    case 'pods': {
      const account = (o.spec as PodSpec | undefined)?.serviceAccountName ?? '';
      if (request.subResource === 'ephemeralcontainers')
        return {
          field: 'spec.ephemeralContainers',
          account,
          decide: () =>
            'no ephemeral container may join a run that holds cluster rights (read its log instead)',
        };
      const stamp = o.metadata?.annotations?.[ANNOTATION_RUNNER_UID];
      return {
        field: 'spec.serviceAccountName',
        account,
        decide: (uid) =>
          JOB_CONTROLLERS.includes(user) && owner?.kind === 'Job' && stamp === uid
            ? undefined
            : 'only the pods of thurkube runs may use it (created by the Job controller from a Job thurkube wrote)',
      };
    }
    case 'jobs': {
      const template = (o.spec as { template?: Template } | undefined)?.template;
      const fromCron = CRONJOB_CONTROLLERS.includes(user) && owner?.kind === 'CronJob';
      return {
        field: 'spec.template.spec.serviceAccountName',
        account: template?.spec?.serviceAccountName ?? '',
        decide: () => (fromController || fromCron ? undefined : 'only thurkube creates Jobs that use it'),
      };
    }
    case 'cronjobs': {
      const template = (o.spec as { jobTemplate?: { spec?: { template?: Template } } } | undefined)
        ?.jobTemplate?.spec?.template;
      return {
        field: 'spec.jobTemplate.spec.template.spec.serviceAccountName',
        account: template?.spec?.serviceAccountName ?? '',
        decide: () => (fromController ? undefined : 'only thurkube writes CronJobs that use it'),
      };
    }
    case 'secrets':
      if (o.type !== 'kubernetes.io/service-account-token') return undefined;
      return {
        field: 'metadata.annotations[kubernetes.io/service-account.name]',
        account: o.metadata?.annotations?.['kubernetes.io/service-account.name'] ?? '',
        decide: () => 'no long-lived token Secret may be made for it',
      };
    case 'serviceaccounts':
      return request.subResource === 'token'
        ? {
            field: 'metadata.name',
            account: request.name,
            decide: () =>
              request.userInfo.groups.includes('system:nodes')
                ? undefined
                : "only the kubelet may request its tokens, for the pods of thurkube's runs",
          }
        : undefined;
    default:
      return undefined;
  }
}

export async function runnerGuard(
  request: AdmissionRequest,
  lookups: Lookups,
  settings: Settings,
  signal: AbortSignal,
): Promise<Verdict> {
  // A dry-run persists and runs nothing (the webhook's own dry-run of an AgentJob's Job is one).
  if (request.dryRun) return verdict([]);
  const use = useOf(request, settings);
  if (!use?.account.endsWith(RUNNER_SUFFIX)) return verdict([]);
  const account = await lookups.serviceAccount(request.namespace, use.account, signal);
  // Not thurkube's (or not there yet: a pod cannot use a missing one, and a later runner gets a
  // new uid that nothing written before can carry).
  if (account?.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) return verdict([]);
  const why = use.decide(account.metadata?.uid ?? '');
  if (!why) return verdict([]);
  const agentJob = use.account.slice(0, -RUNNER_SUFFIX.length);
  return verdict(
    [
      {
        path: use.field,
        message: `ServiceAccount "${use.account}" runs AgentJob "${agentJob}" with its ClusterAccess rights; ${why}`,
      },
    ],
    [],
    true,
  );
}
