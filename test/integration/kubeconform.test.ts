/**
 * The rendered chart, for every combination of values the suites use, checked by kubeconform
 * (pinned, built like the other binaries) against the API schemas of each Kubernetes version the
 * chart supports, strictly (an unknown field is an error), and against the CRDs of the
 * prometheus-operator and cert-manager for the custom kinds it can render. The schemas are made
 * from the sources those projects publish as Go modules (dev/cluster/schemas.ts): kubeconform
 * downloads nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { run } from '../../dev/cluster/run.js';
import { type GroupVersionKind, goModuleDir, writeSchemas } from '../../dev/cluster/schemas.js';
import { SCHEMA_CRD_MODULES, SCHEMA_KUBERNETES_VERSIONS } from '../../dev/cluster/versions.js';
import { CHART_DIR, CHART_VALUE_SETS, type Rendered, setArgs } from '../support/chart.js';
import { testCluster } from '../support/testing.js';

const cluster = testCluster();
const work = mkdtempSync(join(tmpdir(), 'thurkube-kubeconform-'));
let crdDirs: string[] = [];
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  crdDirs = await Promise.all(
    SCHEMA_CRD_MODULES.map(async (m) => join(await goModuleDir(m.module, m.version), m.dir)),
  );
}, 180_000);

interface Report {
  resources?: {
    filename: string;
    kind: string;
    name: string;
    version: string;
    status: string;
    msg: string;
  }[];
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

async function render(version: string, values: Record<string, string | number | boolean>) {
  const res = await cluster.helm([
    'template',
    'thurkube',
    CHART_DIR,
    '--namespace',
    'thurkube-system',
    '--kube-version',
    version,
    ...setArgs(values),
  ]);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  return res.stdout;
}

const gvkOf = (o: Rendered): GroupVersionKind => {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return { group: group ?? '', version: version ?? '', kind: o.kind };
};

/** kubeconform on one rendered stream with the schemas of `dir`. */
async function kubeconform(dir: string, yaml: string, name: string): Promise<Report> {
  const file = join(work, `${name.replaceAll(/\W+/g, '-')}.yaml`);
  writeFileSync(file, yaml);
  const res = await run(cluster.binaries.kubeconform, [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-schema-location',
    `${dir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    file,
  ]);
  return JSON.parse(res.stdout) as Report;
}

describe('kubeconform of the rendered chart', () => {
  for (const version of SCHEMA_KUBERNETES_VERSIONS) {
    it(`passes against the Kubernetes ${version} API, strict, with every set of values the suites use`, async () => {
      const swagger = join(
        await goModuleDir('k8s.io/kubernetes', version),
        'api',
        'openapi-spec',
        'swagger.json',
      );
      const rendered = await Promise.all(
        Object.entries(CHART_VALUE_SETS).map(async ([name, values]) => {
          const yaml = await render(version, values);
          const objects = parseAllDocuments(yaml)
            .map((d) => d.toJS() as Rendered | null)
            .filter((o): o is Rendered => o !== null);
          return { name, yaml, objects };
        }),
      );
      const kinds = [
        ...new Map(
          rendered.flatMap((r) => r.objects.map(gvkOf)).map((g) => [`${g.group}/${g.version}/${g.kind}`, g]),
        ).values(),
      ];
      const dir = join(work, version);
      expect(writeSchemas({ dir, swaggerFile: swagger, crdDirs, kinds })).toEqual([]);
      // Deployments, PDB, Services, RBAC, webhooks, CRDs, Certificates, monitoring: all checked.
      expect(kinds.map((k) => k.kind)).toEqual(
        expect.arrayContaining([
          'Deployment',
          'CustomResourceDefinition',
          'ServiceMonitor',
          'PrometheusRule',
          'Certificate',
        ]),
      );
      const problems: string[] = [];
      for (const { name, yaml, objects } of rendered) {
        const report = await kubeconform(dir, yaml, `${version}-${name}`);
        for (const r of report.resources ?? [])
          if (r.status !== 'statusValid') problems.push(`${name}: ${r.kind} ${r.name}: ${r.status} ${r.msg}`);
        if (report.summary.valid !== objects.length)
          problems.push(`${name}: ${report.summary.valid} of ${objects.length} objects valid`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('finds what is wrong: an unknown field, a wrong type, a kind it has no schema for', async () => {
    const version = SCHEMA_KUBERNETES_VERSIONS[0];
    const dir = join(work, 'negative');
    const swagger = join(
      await goModuleDir('k8s.io/kubernetes', version),
      'api',
      'openapi-spec',
      'swagger.json',
    );
    writeSchemas({
      dir,
      swaggerFile: swagger,
      crdDirs,
      kinds: [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
    });
    const deployment = (name: string, spec: object) =>
      stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec });
    const selector = { matchLabels: { a: 'b' } };
    const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const yaml = [
      deployment('valid', { selector, template }),
      deployment('unknown-field', { selector, template, replica: 2 }),
      deployment('wrong-type', { selector, template, replicas: 'two' }),
      stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'no-schema' } }),
    ].join('---\n');
    const report = await kubeconform(dir, yaml, 'negative');
    const byName = new Map(report.resources?.map((r) => [r.name, r]));
    expect(byName.get('unknown-field')?.status).toBe('statusInvalid');
    expect(byName.get('unknown-field')?.msg).toContain("additional properties 'replica' not allowed");
    expect(byName.get('wrong-type')?.status).toBe('statusInvalid');
    expect(byName.get('wrong-type')?.msg).toContain('/spec/replicas');
    expect(byName.get('no-schema')?.status).toBe('statusError');
    expect(byName.get('no-schema')?.msg).toContain('could not find schema for Widget');
    expect(report.summary.valid).toBe(1);
  });
});
