import { createHash } from 'node:crypto';
import { CONFIG_HASH_LENGTH } from '../names.js';

/**
 * JSON with object keys sorted, so equal values always give equal bytes. Every reconcile hashes its
 * rendered pod with it, so it is written as loops over sorted keys rather than entries, filters
 * and joins (a quarter of the CPU, the same bytes: render.test.ts holds the two side by side). An
 * undefined array element is written as nothing, as Array.join writes it.
 */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += `${i > 0 ? ',' : ''}${stableJson(value[i]) ?? ''}`;
    return `${text}]`;
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    let text = '{';
    for (const key of Object.keys(object).sort()) {
      const v = object[key];
      if (v === undefined) continue;
      text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${stableJson(v)}`;
    }
    return `${text}}`;
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
