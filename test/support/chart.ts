/** Renders the Helm chart with the pinned helm and reads the objects back, for the chart suites. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { RunResult } from '../../dev/cluster/run.js';

export const CHART_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'charts', 'thurkube');

export interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** Values as helm arguments; strings stay strings (`--set` would turn "685654" into a number). */
export const setArgs = (values: Record<string, string | number | boolean>) =>
  Object.entries(values).flatMap(([k, v]) => [typeof v === 'string' ? '--set-string' : '--set', `${k}=${v}`]);

export async function template(
  helm: (args: string[]) => Promise<RunResult>,
  release: string,
  namespace: string,
  values: Record<string, string | number | boolean> = {},
): Promise<{ yaml: string; objects: Rendered[] }> {
  const res = await helm(['template', release, CHART_DIR, '--namespace', namespace, ...setArgs(values)]);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  const objects = parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
  return { yaml: res.stdout, objects };
}

export function find<T = Rendered>(objects: Rendered[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered chart`);
  return found as T;
}
