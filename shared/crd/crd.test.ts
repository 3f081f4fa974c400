import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { KIND_NAMES } from '../api.js';
import { hints } from '../schemas/fields.js';
import { buildAllCrds, buildCrd } from './build.js';
import { type OpenApiSchema, toOpenApi, UnsupportedSchemaError } from './openapi.js';
import { crdFiles } from './yaml.js';

const crdsDir = join(import.meta.dirname, '..', '..', 'crds');

/** Every node of an OpenAPI schema with its path, e.g. `spec.env[].valueFrom`. */
function walk(schema: OpenApiSchema, path: string, visit: (s: OpenApiSchema, p: string) => void) {
  visit(schema, path);
  for (const [key, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${key}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
  if (schema.additionalProperties) walk(schema.additionalProperties, `${path}{}`, visit);
}

function rootOf(kind: (typeof KIND_NAMES)[number]): OpenApiSchema {
  const version = (buildCrd(kind).spec.versions as { schema: { openAPIV3Schema: OpenApiSchema } }[])[0];
  if (!version) throw new Error('no version');
  return version.schema.openAPIV3Schema;
}

describe('generated CRDs', () => {
  it('match the files committed in crds/ (run `npm run gen:crds` after changing shared/)', () => {
    const generated = crdFiles();
    const onDisk = readdirSync(crdsDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(onDisk).toEqual(generated.map((f) => f.file).sort());
    for (const { file, content } of generated) {
      expect(readFileSync(join(crdsDir, file), 'utf8'), file).toBe(content);
    }
  });

  it('declare eight namespaced kinds in the thurkube category, served and stored as v1alpha1', () => {
    const crds = buildAllCrds();
    expect(crds).toHaveLength(8);
    for (const crd of crds) {
      const spec = crd.spec as {
        scope: string;
        group: string;
        names: { categories: string[] };
        versions: { name: string; served: boolean; storage: boolean }[];
      };
      expect(spec.scope).toBe('Namespaced');
      expect(spec.group).toBe('thurkube.thurbeen.eu');
      expect(spec.names.categories).toEqual(['thurkube']);
      expect(spec.versions.map((x) => [x.name, x.served, x.storage])).toEqual([['v1alpha1', true, true]]);
    }
  });

  it('use the plural, singular and short names of the reference', () => {
    const names = buildAllCrds().map((c) => (c.spec as { names: Record<string, unknown> }).names);
    expect(
      names.map((n) => `${n.kind} ${n.plural} ${n.singular} ${(n.shortNames as string[]).join()}`),
    ).toEqual([
      'AgentJob agentjobs agentjob aj',
      'AgentRuntime agentruntimes agentruntime ar',
      'AgentAuth agentauths agentauth aa',
      'AgentRole agentroles agentrole arl',
      'AgentSkill agentskills agentskill ask',
      'McpServer mcpservers mcpserver mcp',
      'Repository repositories repository repo',
      'ClusterAccess clusteraccesses clusteraccess ca',
    ]);
  });

  for (const kind of KIND_NAMES) {
    it(`${kind}: is structural, every node typed (only quantities are int-or-string)`, () => {
      const untyped: string[] = [];
      walk(rootOf(kind), kind, (s, p) => {
        if (s.type === undefined && !s['x-kubernetes-int-or-string']) untyped.push(p);
        if (s.type === 'object' && !s.properties && !s.additionalProperties && !p.endsWith('.metadata')) {
          untyped.push(`${p} (object without properties)`);
        }
      });
      expect(untyped).toEqual([]);
    });

    it(`${kind}: describes every field for kubectl explain`, () => {
      const missing: string[] = [];
      walk(rootOf(kind), kind, (s, p) => {
        // metadata is the one node Kubernetes forbids a CRD to describe.
        if ((!s.description || s.description.length < 8) && p !== `${kind}.metadata`) missing.push(p);
      });
      expect(missing).toEqual([]);
    });
  }

  it('AgentJob has the status subresource, the printer columns of the original first, then the last run', () => {
    const version = (buildCrd('AgentJob').spec.versions as Record<string, unknown>[])[0] ?? {};
    expect(version.subresources).toEqual({ status: {} });
    const columns = version.additionalPrinterColumns as {
      name: string;
      jsonPath: string;
      priority?: number;
    }[];
    expect(columns.filter((c) => !c.priority).map((c) => `${c.name}=${c.jsonPath}`)).toEqual([
      'Schedule=.spec.schedule',
      'Suspended=.spec.suspend',
      'Phase=.status.phase',
      'Last Run=.status.lastRunTime',
      'Last Result=.status.runs[0].result',
    ]);
    expect(columns.filter((c) => c.priority === 1).map((c) => c.name)).toEqual([
      'Duration',
      'Runs',
      'Runtime',
      'Next Run',
      'Message',
      'Age',
    ]);
  });

  it('declares the defaults the API server applies', () => {
    const spec = rootOf('AgentJob').properties?.spec?.properties ?? {};
    expect(spec.timezone?.default).toBe('Etc/UTC');
    expect(spec.suspend?.default).toBe(false);
    expect(spec.timeoutSeconds?.default).toBe(3600);
    expect(spec.mcpServerRefs?.default).toEqual([]);
    expect(spec.persist?.default).toBe(false);
    expect(rootOf('AgentSkill').properties?.spec?.properties?.ref?.default).toBe('main');
    expect(rootOf('AgentJob').properties?.spec?.required).toEqual([
      'runtimeRef',
      'authRef',
      'roleRef',
      'prompt',
    ]);
  });

  it('carries the CEL rules the API server enforces without the webhook', () => {
    expect(rootOf('McpServer').properties?.spec?.['x-kubernetes-validations']?.[0]?.rule).toBe(
      'has(self.command) != has(self.url)',
    );
    expect(rootOf('ClusterAccess').properties?.spec?.properties?.rules?.minItems).toBe(1);
    expect(rootOf('AgentJob')['x-kubernetes-validations']?.map((r) => r.rule)).toEqual([
      'has(self.spec.schedule) || self.metadata.name.size() <= 46',
      '!has(self.spec.schedule) || self.metadata.name.size() <= 52',
    ]);
  });

  it('refuses a schema it cannot express structurally instead of emitting an untyped field', () => {
    expect(() => toOpenApi(v.object({ a: v.any() }))).toThrow(UnsupportedSchemaError);
    expect(() => toOpenApi(v.object({ a: v.union([v.string(), v.boolean()]) }))).toThrow(
      /unions other than int-or-string/,
    );
    expect(toOpenApi(v.pipe(v.union([v.string(), v.number()]), hints({ intOrString: true })))).toEqual({
      'x-kubernetes-int-or-string': true,
    });
  });
});
