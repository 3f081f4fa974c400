/**
 * Where and how the agent's pod runs, as platform teams set it: the core/v1 fields for image pull
 * Secrets, node selection, tolerations, affinity, priority and the runtime class. Field names,
 * required fields and meanings follow Kubernetes; the API server checks the values when the Job is
 * created (and the webhook's dry-run of it at apply time). Operators and effects are plain strings
 * so that values a newer Kubernetes adds are not refused here.
 */
import * as v from 'valibot';
import { boundedInteger, integer, nonEmpty, stringList, text } from './fields.js';

const stringMap = (description: string) =>
  v.pipe(
    v.record(v.string(), v.pipe(v.string(), v.description('A label value.'))),
    v.description(description),
  );

const requirement = (operators: string) =>
  v.pipe(
    v.object({
      key: nonEmpty('The label key the requirement applies to.'),
      operator: nonEmpty(`How the key relates to the values: ${operators}.`),
      values: v.optional(stringList('Values for In and NotIn (and one number for Gt and Lt).', 'A value.')),
    }),
    v.description('One requirement on labels: a key, an operator and values.'),
  );

const NodeSelectorTerm = v.pipe(
  v.object({
    matchExpressions: v.optional(
      v.pipe(
        v.array(requirement('In, NotIn, Exists, DoesNotExist, Gt or Lt')),
        v.description("Requirements on the node's labels."),
      ),
    ),
    matchFields: v.optional(
      v.pipe(
        v.array(requirement('In, NotIn, Exists, DoesNotExist, Gt or Lt')),
        v.description("Requirements on the node's fields (metadata.name)."),
      ),
    ),
  }),
  v.description('Nodes matching every requirement of this term.'),
);

const LabelSelector = (what: string) =>
  v.pipe(
    v.object({
      matchLabels: v.optional(stringMap('Labels that must all be present with these values.')),
      matchExpressions: v.optional(
        v.pipe(
          v.array(requirement('In, NotIn, Exists or DoesNotExist')),
          v.description('Requirements that must all hold.'),
        ),
      ),
    }),
    v.description(what),
  );

const PodAffinityTerm = v.pipe(
  v.object({
    labelSelector: v.optional(LabelSelector('Pods this term is about.')),
    namespaceSelector: v.optional(
      LabelSelector('Namespaces whose pods count; the pod namespace when unset.'),
    ),
    namespaces: v.optional(stringList('Namespaces whose pods count, besides the namespaceSelector.')),
    topologyKey: nonEmpty(
      'Node label that defines "together", e.g. kubernetes.io/hostname or topology.kubernetes.io/zone.',
    ),
    matchLabelKeys: v.optional(stringList("Label keys whose values are taken from this pod's own labels.")),
    mismatchLabelKeys: v.optional(
      stringList("Label keys whose values must differ from this pod's own labels."),
    ),
  }),
  v.description('Pods matching the selector, on nodes sharing the value of topologyKey.'),
);

const weight = boundedInteger('Weight of this preference, 1 to 100.', 1, 100);

const podAffinity = (description: string) =>
  v.pipe(
    v.object({
      requiredDuringSchedulingIgnoredDuringExecution: v.optional(
        v.pipe(
          v.array(PodAffinityTerm),
          v.description('Terms that must all hold for the pod to be scheduled.'),
        ),
      ),
      preferredDuringSchedulingIgnoredDuringExecution: v.optional(
        v.pipe(
          v.array(
            v.pipe(
              v.object({ weight, podAffinityTerm: PodAffinityTerm }),
              v.description('A preferred term and its weight.'),
            ),
          ),
          v.description('Terms the scheduler prefers, by weight.'),
        ),
      ),
    }),
    v.description(description),
  );

export const Affinity = v.pipe(
  v.object({
    nodeAffinity: v.optional(
      v.pipe(
        v.object({
          requiredDuringSchedulingIgnoredDuringExecution: v.optional(
            v.pipe(
              v.object({
                nodeSelectorTerms: v.pipe(
                  v.array(NodeSelectorTerm),
                  v.description('The pod may run on a node matching any of these terms.'),
                ),
              }),
              v.description('Nodes the pod must run on.'),
            ),
          ),
          preferredDuringSchedulingIgnoredDuringExecution: v.optional(
            v.pipe(
              v.array(
                v.pipe(
                  v.object({ weight, preference: NodeSelectorTerm }),
                  v.description('A preferred node term and its weight.'),
                ),
              ),
              v.description('Nodes the scheduler prefers, by weight.'),
            ),
          ),
        }),
        v.description('Which nodes the pod runs on.'),
      ),
    ),
    podAffinity: v.optional(podAffinity('Pods the agent pod runs near.')),
    podAntiAffinity: v.optional(podAffinity('Pods the agent pod runs away from.')),
  }),
  v.description('Scheduling constraints of the agent pod (core/v1 Affinity).'),
);

export const Toleration = v.pipe(
  v.object({
    key: v.optional(
      text('Taint key this toleration matches; empty with operator Exists matches every taint.'),
    ),
    operator: v.optional(text('Equal (the default) or Exists.')),
    value: v.optional(text('Taint value to match with operator Equal.')),
    effect: v.optional(text('NoSchedule, PreferNoSchedule or NoExecute; empty matches every effect.')),
    tolerationSeconds: v.optional(
      integer('With NoExecute: how long the pod stays on a node after the taint appears.'),
    ),
  }),
  v.description('Lets the agent pod run on nodes with a matching taint (core/v1 Toleration).'),
);

const described = <S extends v.GenericSchema>(schema: S, description: string) =>
  v.pipe(schema, v.description(description));

const nodeSelectorMap = v.record(v.string(), v.pipe(v.string(), v.description('A label value.')));
const tolerationList = v.array(Toleration);
const affinityObject = Affinity;
const priorityClass = v.pipe(v.string(), v.minLength(1, 'must not be empty'));

/** The placement fields of an AgentRuntime: where every agent of that runtime runs. */
export const runtimePlacementEntries = {
  nodeSelector: v.optional(
    described(nodeSelectorMap, 'Node labels the agent pod requires, e.g. {kubernetes.io/arch: amd64}.'),
  ),
  tolerations: v.optional(described(tolerationList, 'Taints the agent pod tolerates.')),
  affinity: v.optional(affinityObject),
  priorityClassName: v.optional(
    described(priorityClass, 'PriorityClass of the agent pod, e.g. a low priority for batch agents.'),
  ),
};

/** The same fields on an AgentJob, for one agent; how each combines is in render/scheduling.ts. */
export const jobPlacementEntries = {
  nodeSelector: v.optional(
    described(
      nodeSelectorMap,
      "Node labels this agent's pod requires, added to the runtime's nodeSelector; on the same key this value wins.",
    ),
  ),
  tolerations: v.optional(
    described(tolerationList, "Taints this agent's pod tolerates, added to the runtime's tolerations."),
  ),
  affinity: v.optional(
    described(affinityObject, "Scheduling constraints of this agent's pod; replaces the runtime's affinity."),
  ),
  priorityClassName: v.optional(
    described(priorityClass, "PriorityClass of this agent's pod; replaces the runtime's."),
  ),
};

/** Fields only the AgentRuntime sets: they belong to the image and the sandbox it runs in. */
export const runtimePodEntries = {
  imagePullSecrets: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.object({
            name: nonEmpty('Name of a Secret of type kubernetes.io/dockerconfigjson in the namespace.'),
          }),
          v.description('A Secret with registry credentials.'),
        ),
      ),
      v.description('Secrets the kubelet uses to pull the image from a private registry.'),
    ),
  ),
  ...runtimePlacementEntries,
  runtimeClassName: v.optional(
    nonEmpty(
      'RuntimeClass the agent pod runs with, e.g. gvisor or kata: a sandbox for the code the agent writes and runs. ' +
        'An AgentJob cannot override it.',
    ),
  ),
};

export type Affinity = v.InferOutput<typeof Affinity>;
export type Toleration = v.InferOutput<typeof Toleration>;
