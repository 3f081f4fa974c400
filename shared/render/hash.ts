import { createHash } from 'node:crypto';
import { CONFIG_HASH_LENGTH } from '../names.js';

/** JSON with object keys sorted, so equal values always give equal bytes. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * First 16 hex digits of the SHA-256 of what changes a run: the rendered agent.json and the pod
 * the run gets (image, command, env, resources, mounts, service account) and its time limit. A
 * one-shot AgentJob whose hash changes gets a new Job, a new run; a Job's template cannot be
 * edited in place, so anything in it must be part of the hash.
 */
export function configHash(agentJson: string, runInputs: unknown): string {
  return sha256Hex(`${agentJson}\n${stableJson(runInputs)}`).slice(0, CONFIG_HASH_LENGTH);
}
