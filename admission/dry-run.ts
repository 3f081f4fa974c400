/**
 * Checks what the controller will create from an AgentJob, at apply time: the rendered config fits
 * in its ConfigMap, and the Job or CronJob passes the API server's own validation (a server-side
 * dry-run create), so a bad env name or resource quantity fails `kubectl apply` instead of the
 * controller's next reconcile. Field paths in the API server's answer are mapped back to the
 * AgentJob's fields where they come from it.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import type { KubeObject } from '../shared/kube/client.js';
import { agentConfig, agentJson } from '../shared/render/agent-config.js';
import { desiredCronJob, desiredJob, render } from '../shared/render/children.js';
import type { RenderInput } from '../shared/render/refs.js';
import type { FieldIssue } from '../shared/validation.js';
import type { Lookups } from './lookups.js';

/** What a ConfigMap may hold, as the API server counts it (the sum of its values). */
export const MAX_CONFIG_MAP_BYTES = 1024 * 1024;

export interface ScheduleFix {
  schedule: string;
  timezone: string;
}

const CONTAINER =
  /spec\.(?:jobTemplate\.spec\.)?template\.spec\.containers\[0\]\.(env|envFrom|resources)(?:\[(\d+)\])?/g;

/** `spec.template.spec.containers[0].env[3].name` → `spec.env[0].name`, and the like. */
export function agentJobPaths(text: string, podEnv: readonly V1EnvVar[], env: readonly unknown[]): string {
  return text.replace(CONTAINER, (whole, field: string, index?: string) => {
    if (field !== 'env') return index === undefined ? `spec.${field}` : `spec.${field}[${index}]`;
    const own = index === undefined ? -1 : env.indexOf(podEnv[Number(index)]);
    return index === undefined ? 'spec.env' : own >= 0 ? `spec.env[${own}]` : whole;
  });
}

function rejection(kind: string, message: string): FieldIssue {
  const text = message
    .replace(/^\S+ "[^"]*" is invalid: /, '')
    .replace(/^\S+ in version "[^"]*" cannot be handled as an? \S+: /, '')
    .replace(/^\[(.*)\]$/s, '$1');
  const field = /^(spec\.[^\s:]+): (.*)$/s.exec(text);
  return field
    ? { path: field[1] ?? 'spec', message: field[2] ?? '' }
    : { path: 'spec', message: `the ${kind} the controller would create is refused: ${text}` };
}

/**
 * Renders the child and dry-runs it. `schedule` is what the CronJob gets: the caller passes a
 * placeholder where the AgentJob's own value is already reported, so each problem is told once.
 */
export async function childIssues(
  input: RenderInput,
  schedule: ScheduleFix | undefined,
  lookups: Lookups,
  signal: AbortSignal,
  dryRun = true,
): Promise<FieldIssue[]> {
  // The config alone decides the size check; the whole child (pod template, hash) only the dry-run.
  const json = agentJson(agentConfig(input.spec, input.refs));
  const size = Buffer.byteLength(json);
  if (size > MAX_CONFIG_MAP_BYTES)
    return [
      {
        path: 'spec',
        message: `the rendered agent config is ${size} bytes, more than a ConfigMap holds (${MAX_CONFIG_MAP_BYTES}); shorten prompt or instructions`,
      },
    ];
  if (!dryRun) return [];
  const rendered = render(input);
  const child = (
    schedule
      ? desiredCronJob(input.agentJob, rendered, input.spec, schedule)
      : desiredJob(input.agentJob, rendered, input.spec.suspend)
  ) as KubeObject;
  // An owner reference needs the AgentJob's uid (not assigned yet on create) and, where the
  // OwnerReferencesPermissionEnforcement plugin runs, rights on its finalizers: it is not what
  // this check is about.
  if (child.metadata) child.metadata.ownerReferences = undefined;
  const result = await lookups.dryRunCreate(child, signal);
  if (result.ok) return [];
  const podEnv = rendered.jobSpec.template.spec?.containers[0]?.env ?? [];
  return [rejection(String(child.kind), agentJobPaths(result.message, podEnv, input.spec.env))];
}
