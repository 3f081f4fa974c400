/**
 * The parts of core Kubernetes types (core/v1, rbac/v1) that the thurkube API embeds. Field names,
 * required fields and meanings follow Kubernetes; the descriptions are ours.
 */
import * as v from 'valibot';
import { DNS_SUBDOMAIN, flag, hints, nonEmpty, stringList, text } from './fields.js';

/** Kubernetes' quantity syntax: a decimal number with an optional suffix (Ki..Ei, n u m k M G T P E, or an exponent). */
const QUANTITY =
  /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)))?$/;

export const Quantity = v.pipe(
  v.union(
    [v.pipe(v.string(), v.regex(QUANTITY, 'must be a quantity such as "500m", "2Gi" or 1')), v.number()],
    'must be a quantity such as "500m", "2Gi" or 1',
  ),
  hints({ intOrString: true }),
  v.description('A Kubernetes quantity, e.g. "500m" CPU or "2Gi" memory.'),
);

const ResourceList = (description: string) =>
  v.pipe(v.record(v.string(), Quantity), v.description(description));

export const ResourceRequirements = v.pipe(
  v.object({
    limits: v.optional(
      ResourceList('Most of each resource the agent container may use, e.g. {cpu: "2", memory: "4Gi"}.'),
    ),
    requests: v.optional(
      ResourceList('Resources reserved for the agent container when it is scheduled, e.g. {cpu: "500m"}.'),
    ),
    claims: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.object({
              name: nonEmpty('Name of an entry in the pod spec resourceClaims that the container uses.'),
              request: v.optional(text('Name of one request inside that claim; all requests when unset.')),
            }),
            v.description('One dynamic resource claim the container uses.'),
          ),
        ),
        hints({ listType: 'map', listMapKeys: ['name'] }),
        v.description('Dynamic resource claims (DRA) the container uses.'),
      ),
    ),
  }),
  v.description('CPU, memory and other resources for the agent container (core/v1 ResourceRequirements).'),
);

const keySelector = (what: 'ConfigMap' | 'Secret') =>
  v.pipe(
    v.object({
      name: v.optional(text(`Name of the ${what} in the same namespace.`)),
      key: nonEmpty(`Key inside the ${what} whose value becomes the variable's value.`),
      optional: v.optional(flag(`When true, a missing ${what} or key leaves the variable unset.`)),
    }),
    v.description(`Reads the value from one key of a ${what}.`),
  );

export const EnvVar = v.pipe(
  v.object({
    name: nonEmpty('Name of the environment variable.'),
    value: v.optional(text('Literal value; $(VAR) references to earlier variables are expanded.')),
    valueFrom: v.optional(
      v.pipe(
        v.object({
          fieldRef: v.optional(
            v.pipe(
              v.object({
                apiVersion: v.optional(
                  text('Version of the schema fieldPath is written in; "v1" by default.'),
                ),
                fieldPath: nonEmpty('Pod field to read, e.g. metadata.name or status.podIP.'),
              }),
              v.description('Reads a field of the pod.'),
            ),
          ),
          resourceFieldRef: v.optional(
            v.pipe(
              v.object({
                containerName: v.optional(text('Container whose resources are read; this one by default.')),
                resource: nonEmpty('Resource to read, e.g. limits.cpu or requests.memory.'),
                divisor: v.optional(Quantity),
              }),
              v.description("Reads one of the container's resource limits or requests."),
            ),
          ),
          configMapKeyRef: v.optional(keySelector('ConfigMap')),
          secretKeyRef: v.optional(keySelector('Secret')),
        }),
        v.description('Where the value comes from, instead of a literal value.'),
      ),
    ),
  }),
  v.description('One environment variable for the agent container (core/v1 EnvVar).'),
);

const sourceRef = (what: 'ConfigMap' | 'Secret') =>
  v.pipe(
    v.object({
      name: v.optional(text(`Name of the ${what} in the same namespace.`)),
      optional: v.optional(flag(`When true, a missing ${what} is ignored.`)),
    }),
    v.description(`Every key of this ${what} becomes an environment variable.`),
  );

export const EnvFromSource = v.pipe(
  v.object({
    prefix: v.optional(text('Prepended to every variable name taken from the source.')),
    configMapRef: v.optional(sourceRef('ConfigMap')),
    secretRef: v.optional(sourceRef('Secret')),
  }),
  v.check(
    (from) => (from.configMapRef === undefined) !== (from.secretRef === undefined),
    'set exactly one of configMapRef or secretRef',
  ),
  hints({
    celRules: [
      {
        rule: 'has(self.configMapRef) != has(self.secretRef)',
        message: 'set exactly one of configMapRef or secretRef',
      },
    ],
  }),
  v.description('A ConfigMap or Secret whose keys all become environment variables (core/v1 EnvFromSource).'),
);

export const PolicyRule = v.pipe(
  v.object({
    verbs: v.pipe(
      v.array(nonEmpty('A verb such as get, list, watch, or * for all.')),
      v.minLength(1, 'must list at least one verb'),
      v.description('Verbs the rule allows, e.g. [get, list, watch]; "*" allows all.'),
    ),
    apiGroups: v.optional(
      stringList('API groups of the resources; "" is the core group and "*" any group.', 'An API group.'),
    ),
    resources: v.optional(stringList('Resources the rule applies to, e.g. pods or deployments/scale.')),
    resourceNames: v.optional(stringList('Restricts the rule to objects with these names.')),
    nonResourceURLs: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.string(),
            v.regex(/^(\*|\/.*)$/, 'must be a path starting with / (e.g. /healthz, /metrics*) or *'),
            v.description('A URL path; a trailing * matches every path with that prefix.'),
          ),
        ),
        v.description('Non-resource URLs such as /healthz; only meaningful in cluster-wide roles.'),
      ),
    ),
  }),
  v.description('One RBAC rule (rbac/v1 PolicyRule).'),
);

export const SecretKeyRef = v.pipe(
  v.object({
    name: v.pipe(
      v.string(),
      v.regex(
        DNS_SUBDOMAIN,
        'must be a Secret name: lower-case letters, digits, "-" and ".", e.g. claude-oauth',
      ),
      v.maxLength(253, 'must be at most 253 characters'),
      v.description('Name of the Secret in the same namespace.'),
    ),
    key: v.pipe(
      v.string(),
      v.regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key: letters, digits, "-", "_" and ".", e.g. token'),
      v.maxLength(253, 'must be at most 253 characters'),
      v.description('Key inside the Secret that holds the token.'),
    ),
  }),
  v.description('A key of a Secret in the same namespace.'),
);

export type EnvVar = v.InferOutput<typeof EnvVar>;
export type EnvFromSource = v.InferOutput<typeof EnvFromSource>;
export type ResourceRequirements = v.InferOutput<typeof ResourceRequirements>;
export type PolicyRule = v.InferOutput<typeof PolicyRule>;
export type SecretKeyRef = v.InferOutput<typeof SecretKeyRef>;
