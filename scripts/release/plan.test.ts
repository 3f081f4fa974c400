import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { withImageRepository } from './chart.js';
import { releasePlan, releaseVersion } from './plan.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;
const files = () => ({
  packageJson: read('package.json'),
  chartYaml: read('charts/thurkube/Chart.yaml'),
  valuesYaml: read('charts/thurkube/values.yaml'),
});

describe('the release version', () => {
  it('is package.json’s, which the chart’s version and appVersion equal in this checkout', () => {
    expect(releaseVersion(files())).toEqual({ ok: true, value: VERSION });
  });

  it('is refused when the chart’s version or appVersion differs, naming the file and field', () => {
    const f = files();
    const chartYaml = f.chartYaml
      .replace(/^version: .*$/m, 'version: 99.0.0')
      .replace(/^appVersion: .*$/m, `appVersion: ${VERSION}`);
    // Unquoted, YAML reads X.Y.Z as a string: only the version differs.
    expect(releaseVersion({ ...f, chartYaml })).toEqual({
      ok: false,
      errors: [
        `charts/thurkube/Chart.yaml: version is "99.0.0", package.json's version is "${VERSION}": they must be equal (a string)`,
      ],
    });
    // 0.1 is a number in YAML, not the version 0.1.0.
    const numeric = f.chartYaml.replace(/^appVersion: .*$/m, 'appVersion: 0.1');
    expect(releaseVersion({ ...f, chartYaml: numeric })).toEqual({
      ok: false,
      errors: [
        `charts/thurkube/Chart.yaml: appVersion is 0.1, package.json's version is "${VERSION}": they must be equal (a string)`,
      ],
    });
  });

  it('is refused when package.json’s version is not semantic, and when the chart pins an image tag', () => {
    const f = files();
    const result = releaseVersion({
      packageJson: JSON.stringify({ version: 'latest' }),
      chartYaml: f.chartYaml,
      valuesYaml: f.valuesYaml.replace(/^( {2}tag: ).*$/m, '$1"0.0.9"'),
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      'package.json: version "latest" is not a semantic version (X.Y.Z)',
      `charts/thurkube/Chart.yaml: version is "${VERSION}", package.json's version is "latest": they must be equal (a string)`,
      `charts/thurkube/Chart.yaml: appVersion is "${VERSION}", package.json's version is "latest": they must be equal (a string)`,
      'charts/thurkube/values.yaml: image.tag is "0.0.9"; a released chart leaves it empty, so that it installs the image of its appVersion',
    ]);
  });
});

describe('where a release goes', () => {
  it('puts the image and the chart side by side in the registry', () => {
    expect(releasePlan('ghcr.io/thurbeen', '0.1.0')).toEqual({
      ok: true,
      value: {
        version: '0.1.0',
        image: 'ghcr.io/thurbeen/thurkube:0.1.0',
        imageRepository: 'ghcr.io/thurbeen/thurkube',
        chartRepository: 'oci://ghcr.io/thurbeen/charts',
        chartReference: 'oci://ghcr.io/thurbeen/charts/thurkube',
      },
    });
    const local = releasePlan('127.0.0.1:5000/', '1.2.3');
    expect(local.ok && local.value.chartReference).toBe('oci://127.0.0.1:5000/charts/thurkube');
    expect(local.ok && local.value.image).toBe('127.0.0.1:5000/thurkube:1.2.3');
  });

  it('refuses a scheme, capitals and spaces, saying what it expects', () => {
    expect(releasePlan('oci://ghcr.io/thurbeen', '0.1.0')).toEqual({
      ok: false,
      errors: [
        '--registry "oci://ghcr.io/thurbeen": name the registry without a scheme, e.g. ghcr.io/thurbeen',
      ],
    });
    for (const bad of ['ghcr.io/Thurbeen', 'my registry', '127.0.0.1:port', ''])
      expect(releasePlan(bad, '0.1.0')).toEqual({
        ok: false,
        errors: [
          `--registry ${JSON.stringify(bad)}: expected a registry host with an optional port and path, in lowercase (e.g. ghcr.io/thurbeen or 127.0.0.1:5000)`,
        ],
      });
  });
});

describe('the released chart’s values', () => {
  it('name the pushed repository, every other line as in the source', () => {
    const source = read('charts/thurkube/values.yaml');
    const released = withImageRepository(source, '127.0.0.1:5000/thurkube');
    expect((parse(released) as { image: { repository: string } }).image.repository).toBe(
      '127.0.0.1:5000/thurkube',
    );
    const changed = released.split('\n').filter((line, i) => line !== source.split('\n')[i]);
    expect(changed).toEqual(['  repository: 127.0.0.1:5000/thurkube']);
  });
});
