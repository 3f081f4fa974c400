/**
 * The chart as released: a copy of charts/thurkube whose image.repository (and Artifact Hub image)
 * names the repository the image is pushed to with it, so a chart installed from a registry pulls
 * its image from the same registry. For ghcr.io/thurbeen the copy equals the source.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import type { RunResult } from '../../dev/cluster/run.js';

export interface PackagedChart {
  /** The .tgz `helm package` wrote. */
  archive: string;
  /** The image.repository of the source chart, when the copy names another. */
  replacedRepository?: string;
}

/**
 * values.yaml with image.repository set to `repository`, every other byte kept (a YAML round trip
 * would reformat the file): the one line is replaced, and the result is checked by parsing it.
 */
export function withImageRepository(valuesYaml: string, repository: string): string {
  const replaced = valuesYaml.replace(/^(image:\n(?:(?: .*)?\n)*? {2}repository: ).*$/m, `$1${repository}`);
  const before = parse(valuesYaml) as { image: Record<string, unknown> };
  const after = parse(replaced) as { image: Record<string, unknown> };
  if (
    after.image?.repository !== repository ||
    !isDeepStrictEqual({ ...after, image: { ...after.image, repository: before.image.repository } }, before)
  )
    throw new Error('values.yaml: could not set image.repository (its `image:` block has another layout)');
  return replaced;
}

export async function packageChart(o: {
  helm: (args: string[]) => Promise<RunResult>;
  chartDir: string;
  workDir: string;
  imageRepository: string;
}): Promise<PackagedChart> {
  const copy = join(o.workDir, 'thurkube');
  cpSync(o.chartDir, copy, { recursive: true });
  const valuesFile = join(copy, 'values.yaml');
  const values = readFileSync(valuesFile, 'utf8');
  const source = (parse(values) as { image: { repository: string } }).image.repository;
  let replacedRepository: string | undefined;
  if (source !== o.imageRepository) {
    replacedRepository = source;
    writeFileSync(valuesFile, withImageRepository(values, o.imageRepository));
    const chartFile = join(copy, 'Chart.yaml');
    writeFileSync(
      chartFile,
      readFileSync(chartFile, 'utf8').replaceAll(`image: ${source}:`, `image: ${o.imageRepository}:`),
    );
  }
  const lint = await o.helm(['lint', '--strict', copy]);
  if (lint.code !== 0) throw new Error(`helm lint --strict failed:\n${lint.stdout}${lint.stderr}`);
  const packaged = await o.helm(['package', copy, '--destination', o.workDir]);
  if (packaged.code !== 0) throw new Error(`helm package failed:\n${packaged.stderr || packaged.stdout}`);
  const archive = /saved it to: (\S+)/.exec(packaged.stdout)?.[1];
  if (!archive) throw new Error(`helm package did not say where it saved the chart:\n${packaged.stdout}`);
  return { archive, replacedRepository };
}

/** `helm push` of the archive; returns the digest the registry stores. */
export async function pushChart(o: {
  helm: (args: string[]) => Promise<RunResult>;
  archive: string;
  repository: string;
  caFile?: string;
}): Promise<string> {
  const pushed = await o.helm([
    'push',
    o.archive,
    o.repository,
    ...(o.caFile ? ['--ca-file', o.caFile] : []),
  ]);
  const out = `${pushed.stdout}\n${pushed.stderr}`;
  if (pushed.code !== 0) throw new Error(`helm push to ${o.repository} failed:\n${out.trim()}`);
  const digest = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(out)?.[1];
  if (!digest) throw new Error(`helm push did not report a digest:\n${out.trim()}`);
  return digest;
}
