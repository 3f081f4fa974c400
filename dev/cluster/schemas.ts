/**
 * JSON schemas for kubeconform, made here from the sources Kubernetes and the operators publish,
 * so that checking the rendered chart needs no download from anywhere but the Go module proxy:
 * the OpenAPI definitions in the k8s.io/kubernetes module of each Kubernetes version checked, and
 * the CRDs in the prometheus-operator and cert-manager modules. Strict, as kubeconform's own
 * schemas are: an unknown field is an error.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { goEnv } from './binaries.js';

type Schema = Record<string, unknown>;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export const apiVersionOf = ({ group, version }: GroupVersionKind) =>
  group ? `${group}/${version}` : version;

/** kubeconform's file name for a kind: deployment-apps-v1.json, configmap-v1.json. */
export function schemaFileName(gvk: GroupVersionKind): string {
  const first = (gvk.group || gvk.version).split('.')[0]?.toLowerCase();
  return `${gvk.kind.toLowerCase()}-${first}${gvk.group ? `-${gvk.version.toLowerCase()}` : ''}.json`;
}

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };

/**
 * Copies a schema and makes it strict: an object with properties accepts no other field unless it
 * says so (additionalProperties, x-kubernetes-preserve-unknown-fields); int-or-string and
 * quantities accept what the API server accepts, numbers included.
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const s = node as Schema;
  if (s.format === 'int-or-string' || s['x-kubernetes-int-or-string'] === true) return INT_OR_STRING;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    // Property names and enum values are data, not schemas.
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([name, p]) => [name, strict(p)]));
    } else if (k === 'enum' || k === 'required' || k === 'example' || k === 'default') {
      out[k] = v;
    } else out[k] = strict(v);
  }
  if (out.properties && out.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields'])
    out.additionalProperties = false;
  return out;
}

/** Pins apiVersion and kind to the kind the schema is for. */
function pinKind(schema: Schema, gvk: GroupVersionKind): Schema {
  const properties = { ...(schema.properties as Schema | undefined) };
  properties.apiVersion = { type: 'string', enum: [apiVersionOf(gvk)] };
  properties.kind = { type: 'string', enum: [gvk.kind] };
  return { ...schema, properties };
}

interface Swagger {
  definitions: Record<string, Schema>;
}

/**
 * The standalone schemas of the given kinds from a Kubernetes swagger.json: each file holds its
 * kind's definition and every definition it reaches, referenced in place.
 */
export function schemasFromSwagger(swagger: Swagger, kinds: GroupVersionKind[]): Map<string, Schema> {
  const defs = swagger.definitions;
  const byGvk = new Map<string, string>();
  for (const [name, def] of Object.entries(defs))
    for (const g of (def['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? [])
      if (!byGvk.has(apiVersionOf(g) + g.kind)) byGvk.set(apiVersionOf(g) + g.kind, name);
  const out = new Map<string, Schema>();
  for (const gvk of kinds) {
    const name = byGvk.get(apiVersionOf(gvk) + gvk.kind);
    if (!name) continue;
    const reached = new Map<string, unknown>();
    const visit = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object')
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') {
            const ref = v.replace('#/definitions/', '');
            if (!reached.has(ref)) {
              reached.set(ref, undefined);
              visit(defs[ref]);
            }
          } else visit(v);
        }
    };
    visit(defs[name]);
    const definitions: Schema = {};
    for (const ref of reached.keys())
      definitions[ref] =
        ref === 'io.k8s.apimachinery.pkg.api.resource.Quantity' ? QUANTITY : strict(defs[ref]);
    out.set(schemaFileName(gvk), {
      ...pinKind(strict(defs[name]) as Schema, gvk),
      definitions,
    });
  }
  return out;
}

interface Crd {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema?: Schema } }[];
  };
}

/** The schema of every version of a CRD, as kubeconform names them. */
export function schemasFromCrd(crd: Crd): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const v of crd.spec.versions) {
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) continue;
    const gvk = { group: crd.spec.group, version: v.name, kind: crd.spec.names.kind };
    out.set(schemaFileName(gvk), pinKind(strict(schema) as Schema, gvk));
  }
  return out;
}

/** Downloads a Go module through the Go module proxy (verified against the checksum database), or finds it in the module cache. */
export function goModuleDir(module: string, version: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'go',
      ['mod', 'download', '-json', `${module}@${version}`],
      // Outside any module: nothing but this one module is resolved.
      { cwd: tmpdir(), env: { ...goEnv(), GOFLAGS: '-mod=mod' }, encoding: 'utf8', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const dir = (() => {
          try {
            return (JSON.parse(stdout) as { Dir?: string }).Dir;
          } catch {
            return undefined;
          }
        })();
        if (error || !dir)
          reject(new Error(`go mod download ${module}@${version} failed: ${stderr || stdout}`));
        else resolve(dir);
      },
    );
  });
}

/**
 * Writes into `dir` the schemas of the kinds given, for one Kubernetes version: the native ones from
 * its swagger.json, the custom ones from the CRDs of `crdSources` (directories of CRD files) and
 * of `crds` (e.g. the chart's own). Returns the kinds it found no schema for.
 */
export function writeSchemas(o: {
  dir: string;
  swaggerFile: string;
  crdDirs: string[];
  kinds: GroupVersionKind[];
}): GroupVersionKind[] {
  mkdirSync(o.dir, { recursive: true });
  const files = schemasFromSwagger(JSON.parse(readFileSync(o.swaggerFile, 'utf8')) as Swagger, o.kinds);
  for (const crdDir of o.crdDirs)
    for (const file of readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f)))
      for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
        const crd = doc.toJS() as Crd | null;
        if (crd?.kind === 'CustomResourceDefinition')
          for (const [name, schema] of schemasFromCrd(crd)) files.set(name, schema);
      }
  const missing: GroupVersionKind[] = [];
  for (const gvk of o.kinds) {
    const name = schemaFileName(gvk);
    const schema = files.get(name);
    if (schema) writeFileSync(join(o.dir, name), JSON.stringify(schema));
    else missing.push(gvk);
  }
  return missing;
}
