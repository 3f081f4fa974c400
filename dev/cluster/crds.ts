/** Installs the generated CRDs into a cluster and waits until the API server serves them. */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clients } from './client.js';
import type { RunResult } from './run.js';

export const CRDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crds');

/**
 * Applied with kubectl, not client-node: its typed serializer silently drops JSONSchemaProps keys
 * whose JSON names differ from its property names (`default`, `x-kubernetes-validations`, ...).
 */
export async function installCrds(
  cluster: Clients & { kubectl(args: string[]): Promise<RunResult> },
  timeoutMs = 30_000,
): Promise<void> {
  const res = await cluster.kubectl([
    'apply',
    '--server-side',
    '--field-manager=thurkube-tests',
    '-f',
    CRDS_DIR,
  ]);
  if (res.code !== 0) throw new Error(`installing CRDs failed: ${res.stderr}`);
  const names = readdirSync(CRDS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''));
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const live = await cluster.apiext.readCustomResourceDefinition({ name });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
