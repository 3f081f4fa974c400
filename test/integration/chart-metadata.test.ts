/**
 * Chart.yaml as Helm reads it (`helm show chart`): one version for the chart, the app and
 * package.json, and Artifact Hub annotations that match the chart (its CRDs, its image, an
 * example that is the repository's own).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLES } from '../../dev/local-stack.js';
import { CHART_DIR } from '../support/chart.js';
import { testCluster } from '../support/testing.js';

const cluster = testCluster();
const ROOT = join(CHART_DIR, '..', '..');

interface ChartMeta {
  version: string;
  appVersion: string;
  annotations: Record<string, string>;
}

async function chart(): Promise<ChartMeta> {
  const res = await cluster.helm(['show', 'chart', CHART_DIR]);
  expect(res.code, res.stderr).toBe(0);
  return parse(res.stdout) as ChartMeta;
}

describe('Chart.yaml', () => {
  it('carries one version: chart, app and package.json', async () => {
    const meta = await chart();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([meta.version, meta.appVersion]).toEqual([pkg.version, pkg.version]);
  });

  it('lists for Artifact Hub the image of the chart’s default values at that version', async () => {
    const meta = await chart();
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      image: { repository: string };
    };
    expect(parse(meta.annotations['artifacthub.io/images'] ?? '')).toEqual([
      { name: 'thurkube', image: `${values.image.repository}:${meta.appVersion}` },
    ]);
    expect(meta.annotations['artifacthub.io/license']).toBe('Apache-2.0');
  });

  it('lists for Artifact Hub exactly the CRDs the chart installs, with an example from examples/', async () => {
    const meta = await chart();
    const listed = parse(meta.annotations['artifacthub.io/crds'] ?? '') as {
      kind: string;
      version: string;
      name: string;
      description: string;
    }[];
    const crds = readdirSync(join(ROOT, 'crds')).map(
      (f) =>
        parse(readFileSync(join(ROOT, 'crds', f), 'utf8')) as {
          metadata: { name: string };
          spec: { names: { kind: string }; versions: { name: string }[] };
        },
    );
    expect(
      listed
        .map(({ kind, version, name }) => ({ kind, version, name }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual(
      crds
        .map((c) => ({ kind: c.spec.names.kind, version: c.spec.versions[0]?.name, name: c.metadata.name }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    for (const crd of listed) expect(crd.description, crd.kind).not.toBe('');
    const [example] = parse(meta.annotations['artifacthub.io/crdsExamples'] ?? '') as object[];
    expect(example).toEqual(parse(readFileSync(join(EXAMPLES, '50-one-shot.yaml'), 'utf8')));
  });
});
