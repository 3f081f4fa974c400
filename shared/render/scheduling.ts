/**
 * Where the agent's pod runs: the AgentRuntime's platform fields, with the AgentJob's overrides.
 * - imagePullSecrets and runtimeClassName come from the runtime only: they belong to its image and
 *   to the sandbox the platform team chose (an AgentJob cannot leave a gVisor or Kata class);
 * - nodeSelector: the runtime's labels plus the AgentJob's, the AgentJob's value winning on a key;
 * - tolerations: the runtime's, then the AgentJob's;
 * - affinity and priorityClassName: the AgentJob's when set, else the runtime's.
 * Nothing set gives nothing: the pod, and so the configHash, is exactly what it was without them.
 */
import type { V1PodSpec } from '@kubernetes/client-node';
import type { AgentJobSpec } from '../schemas/agent-job.js';
import type { AgentRuntimeSpec } from '../schemas/references.js';

export type Placement = Pick<
  V1PodSpec,
  'imagePullSecrets' | 'nodeSelector' | 'tolerations' | 'affinity' | 'priorityClassName' | 'runtimeClassName'
>;

export function podPlacement(runtime: AgentRuntimeSpec, spec: AgentJobSpec): Placement {
  const out: Placement = {};
  if (runtime.imagePullSecrets?.length)
    out.imagePullSecrets = runtime.imagePullSecrets.map((s) => ({ ...s }));
  const nodeSelector = { ...runtime.nodeSelector, ...spec.nodeSelector };
  if (Object.keys(nodeSelector).length > 0) out.nodeSelector = nodeSelector;
  const tolerations = [...(runtime.tolerations ?? []), ...(spec.tolerations ?? [])];
  if (tolerations.length > 0) out.tolerations = tolerations.map((t) => ({ ...t }));
  const affinity = spec.affinity ?? runtime.affinity;
  if (affinity) out.affinity = structuredClone(affinity) as V1PodSpec['affinity'];
  const priorityClassName = spec.priorityClassName ?? runtime.priorityClassName;
  if (priorityClassName) out.priorityClassName = priorityClassName;
  if (runtime.runtimeClassName) out.runtimeClassName = runtime.runtimeClassName;
  return out;
}
