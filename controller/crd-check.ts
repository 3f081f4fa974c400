/**
 * Are the installed CRDs the ones this build generates? Every field this build writes or reads
 * must be declared in the installed schema: on older CRDs (the Rust original's, or an earlier
 * release's) each status write is refused (`.status.conditions[0].observedGeneration: field not
 * declared in schema`), and fields users set are pruned. Pure but for `fetchInstalled`.
 */
import { API_VERSION, KIND_NAMES, type KindName, VERSION } from '../shared/api.js';
import { buildCrd, crdName } from '../shared/crd/build.js';
import type { OpenApiSchema } from '../shared/crd/openapi.js';
import { isKind } from '../shared/errors.js';
import type { KubeClient, KubeObject } from '../shared/kube/client.js';
import { RESOURCES } from '../shared/kube/resources.js';

/** What to run, said everywhere the problem is reported. */
export const CRD_REMEDY =
  'run `thurkube crd | kubectl apply -f -` with this release (in its image: ' +
  '`docker run --rm <image> crd | kubectl apply -f -`), or upgrade the Helm chart with crds.install=true';

const schemaOf = (crd: KubeObject | undefined): OpenApiSchema | undefined => {
  const versions = (
    crd?.spec as { versions?: { name: string; schema?: { openAPIV3Schema?: OpenApiSchema } }[] }
  )?.versions;
  return versions?.find((v) => v.name === VERSION)?.schema?.openAPIV3Schema;
};

/** Fields of `wanted` that `installed` does not declare, e.g. `status.runs`, `status.conditions[].observedGeneration`. */
export function missingFields(
  wanted: OpenApiSchema,
  installed: OpenApiSchema | undefined,
  path = '',
): string[] {
  if (!installed) return [path || '<root>'];
  if (installed['x-kubernetes-preserve-unknown-fields']) return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(wanted.properties ?? {})) {
    // The API server owns metadata's schema; a CRD may not describe it.
    if (!path && key === 'metadata') continue;
    const at = path ? `${path}.${key}` : key;
    const there = installed.properties?.[key];
    if (!there) out.push(at);
    else out.push(...missingFields(child, there, at));
  }
  if (wanted.items) out.push(...missingFields(wanted.items, installed.items, `${path}[]`));
  if (wanted.additionalProperties)
    out.push(...missingFields(wanted.additionalProperties, installed.additionalProperties, `${path}{}`));
  return out;
}

/** What is wrong with one installed CRD, for a person; undefined when it is current. */
export function crdProblem(kind: KindName, installed: KubeObject | undefined): string | undefined {
  const name = crdName(kind);
  if (!installed) return `CRD ${name} is not installed`;
  const schema = schemaOf(installed);
  if (!schema) return `CRD ${name} does not serve ${API_VERSION}`;
  const missing = missingFields(schemaOf(buildCrd(kind) as unknown as KubeObject) ?? {}, schema);
  if (missing.length === 0) return undefined;
  const shown = missing.slice(0, 4).join(', ');
  const more = missing.length > 4 ? ` and ${missing.length - 4} more` : '';
  return `CRD ${name} is older than this controller: it lacks ${shown}${more}`;
}

export async function fetchInstalled(client: KubeClient, kind: KindName): Promise<KubeObject | undefined> {
  try {
    return await client.get<KubeObject>(RESOURCES.customResourceDefinitions, { name: crdName(kind) });
  } catch (error) {
    if (isKind(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** Every problem of the installed CRDs, one per CRD. */
export async function crdProblems(client: KubeClient): Promise<{ kind: KindName; problem: string }[]> {
  const installed = await Promise.all(KIND_NAMES.map((kind) => fetchInstalled(client, kind)));
  return KIND_NAMES.flatMap((kind, i) => {
    const problem = crdProblem(kind, installed[i]);
    return problem ? [{ kind, problem }] : [];
  });
}
