/**
 * Warnings for Secrets that are missing or lack their key. They are warnings, not denials: the
 * Secret is often created later (a sealed or external secret) and the object is right as written.
 * Only key names are read; a Secret's values never leave the lookup, so never reach a log.
 */
import { messageOf } from '../shared/errors.js';
import type { SecretKeyRef } from '../shared/schemas/core.js';
import type { Lookups } from './lookups.js';

export interface SecretUse {
  /** Who names the Secret, e.g. `AgentAuth "claude-oauth"`. */
  by: string;
  ref: SecretKeyRef;
}

export async function secretWarnings(
  namespace: string,
  uses: readonly SecretUse[],
  lookups: Lookups,
  signal: AbortSignal,
): Promise<string[]> {
  const keys = new Map<string, Promise<string[] | undefined | Error>>();
  const read = (name: string) => {
    let pending = keys.get(name);
    if (!pending) {
      pending = lookups
        .secretKeys(namespace, name, signal)
        .catch((error: unknown) => new Error(messageOf(error)));
      keys.set(name, pending);
    }
    return pending;
  };
  const warnings = await Promise.all(
    uses.map(async ({ by, ref }) => {
      const found = await read(ref.name);
      if (found instanceof Error) return `${by}: could not check Secret "${ref.name}": ${found.message}`;
      if (!found)
        return `${by}: Secret "${ref.name}" not found in namespace "${namespace}"; runs fail until it exists`;
      if (!found.includes(ref.key)) return `${by}: Secret "${ref.name}" has no key "${ref.key}"`;
      return undefined;
    }),
  );
  return warnings.filter((w): w is string => w !== undefined);
}
