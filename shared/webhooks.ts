/**
 * The two webhook configurations, as one builder. The Helm chart renders the same objects (a test
 * compares them), `npm start` and the tests register them by URL on loopback.
 */
import type {
  AdmissionregistrationV1WebhookClientConfig,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { GROUP, KIND_NAMES, NAMES, VERSION } from './api.js';

export const WEBHOOK_CONFIGURATION_NAME = 'thurkube-admission';
export const MUTATING_WEBHOOK_NAME = `mutate.${GROUP}`;
export const VALIDATING_WEBHOOK_NAME = `validate.${GROUP}`;
/** Guards the runner ServiceAccounts of AgentJobs with cluster access (admission/runners.ts). */
export const RUNNERS_WEBHOOK_NAME = `runners.${GROUP}`;
/** Every runner ServiceAccount is named `N-runner` (shared/names.ts). */
export const RUNNER_SUFFIX = '-runner';
export const MUTATE_PATH = '/mutate';
export const VALIDATE_PATH = '/validate';
/** Short, so that an unreachable webhook fails `kubectl apply` quickly instead of hanging it. */
export const WEBHOOK_TIMEOUT_SECONDS = 5;

/**
 * Only objects that name a ServiceAccount ending in `-runner` reach the runners webhook, so that a
 * webhook outage never blocks other pods, and the cost stays with runs. Written in CEL for the
 * API server (matchConditions); the webhook reads the same fields (admission/runners.ts).
 */
const runnerSa = (path: string) =>
  `has(${path}.serviceAccountName) && ${path}.serviceAccountName.endsWith('${RUNNER_SUFFIX}')`;
export const RUNNER_MATCH = [
  `request.resource.resource == 'pods' ? ${runnerSa('object.spec')} :`,
  `request.resource.resource == 'jobs' ? ${runnerSa('object.spec.template.spec')} :`,
  `request.resource.resource == 'cronjobs' ? ${runnerSa('object.spec.jobTemplate.spec.template.spec')} :`,
  `request.resource.resource == 'secrets' ? (has(object.type) && object.type == 'kubernetes.io/service-account-token' && has(object.metadata.annotations) && 'kubernetes.io/service-account.name' in object.metadata.annotations && object.metadata.annotations['kubernetes.io/service-account.name'].endsWith('${RUNNER_SUFFIX}')) :`,
  `request.resource.resource == 'serviceaccounts' ? request.name.endsWith('${RUNNER_SUFFIX}') : false`,
].join(' ');

export interface WebhookTarget {
  /** Either a URL base (https://127.0.0.1:PORT) or a Service. */
  url?: string;
  service?: { name: string; namespace: string; port: number };
  caBundle?: string;
  /** Namespaces the webhooks never see, e.g. kube-system and the release namespace. */
  excludeNamespaces?: string[];
  /** The runners webhook (default on): only thurkube's own runs may use a runner ServiceAccount. */
  runnerGuard?: boolean;
  name?: string;
}

function clientConfig(target: WebhookTarget, path: string): AdmissionregistrationV1WebhookClientConfig {
  const config: AdmissionregistrationV1WebhookClientConfig = target.url
    ? { url: `${target.url.replace(/\/$/, '')}${path}` }
    : {
        service: {
          ...(target.service ?? { name: 'thurkube-admission', namespace: 'thurkube-system', port: 443 }),
          path,
        },
      };
  if (target.caBundle) config.caBundle = target.caBundle;
  return config;
}

function namespaceSelector(target: WebhookTarget) {
  const excluded = target.excludeNamespaces ?? [];
  return excluded.length === 0
    ? {}
    : { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excluded }] };
}

/** What every webhook of ours shares: v1 reviews, no side effects, fail closed, 5 s, our exclusions. */
function common(target: WebhookTarget, name: string, path: string) {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    timeoutSeconds: WEBHOOK_TIMEOUT_SECONDS,
    clientConfig: clientConfig(target, path),
    namespaceSelector: namespaceSelector(target),
  };
}

const referencedPlurals = KIND_NAMES.filter((k) => k !== 'AgentJob').map((k) => NAMES[k].plural);

export function mutatingWebhookConfiguration(target: WebhookTarget): V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: target.name ?? WEBHOOK_CONFIGURATION_NAME,
      labels: { 'app.kubernetes.io/part-of': 'thurkube' },
    },
    webhooks: [
      {
        ...common(target, MUTATING_WEBHOOK_NAME, MUTATE_PATH),
        reinvocationPolicy: 'Never',
        rules: [
          {
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            operations: ['CREATE', 'UPDATE'],
            resources: [NAMES.AgentJob.plural],
            scope: 'Namespaced',
          },
        ],
      },
    ],
  };
}

export function validatingWebhookConfiguration(target: WebhookTarget): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: target.name ?? WEBHOOK_CONFIGURATION_NAME,
      labels: { 'app.kubernetes.io/part-of': 'thurkube' },
    },
    webhooks: [
      {
        ...common(target, VALIDATING_WEBHOOK_NAME, VALIDATE_PATH),
        rules: [
          {
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            operations: ['CREATE', 'UPDATE'],
            resources: KIND_NAMES.map((k) => NAMES[k].plural),
            scope: 'Namespaced',
          },
          {
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            operations: ['DELETE'],
            resources: referencedPlurals,
            scope: 'Namespaced',
          },
        ],
      },
      ...(target.runnerGuard === false ? [] : [runnersWebhook(target)]),
    ],
  };
}

function runnersWebhook(target: WebhookTarget): V1ValidatingWebhook {
  return {
    ...common(target, RUNNERS_WEBHOOK_NAME, VALIDATE_PATH),
    matchConditions: [{ name: 'uses-a-runner-service-account', expression: RUNNER_MATCH }],
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['pods', 'serviceaccounts/token'],
        scope: 'Namespaced',
      },
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['UPDATE'],
        resources: ['pods/ephemeralcontainers'],
        scope: 'Namespaced',
      },
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['secrets'],
        scope: 'Namespaced',
      },
      {
        apiGroups: ['batch'],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['jobs'],
        scope: 'Namespaced',
      },
      {
        apiGroups: ['batch'],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['cronjobs'],
        scope: 'Namespaced',
      },
    ],
  };
}
