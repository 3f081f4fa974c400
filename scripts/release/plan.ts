/**
 * What a release is, decided without I/O: the version (package.json's, which the chart's version
 * and appVersion must equal: one image, one chart, one number) and where the image and the chart
 * go in the registry named on the command line.
 */
import { parse } from 'yaml';

export const CHART_NAME = 'thurkube';
export const IMAGE_NAME = 'thurkube';

export interface ReleasePlan {
  version: string;
  /** `REGISTRY/thurkube:VERSION`. */
  image: string;
  /** `REGISTRY/thurkube`: what the pushed chart's image.repository names. */
  imageRepository: string;
  /** `oci://REGISTRY/charts`: where `helm push` sends the chart. */
  chartRepository: string;
  /** `oci://REGISTRY/charts/thurkube`: what `helm install` names. */
  chartReference: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
// A registry host (name or IPv4, optional port) and an optional path, lowercase as OCI requires.
const REGISTRY =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** The release's version, or every reason the three versions cannot be released as one. */
export function releaseVersion(files: {
  packageJson: string;
  chartYaml: string;
  valuesYaml: string;
}): Result<string> {
  const errors: string[] = [];
  const pkg = JSON.parse(files.packageJson) as { version?: unknown };
  const chart = (parse(files.chartYaml) ?? {}) as { version?: unknown; appVersion?: unknown };
  const values = (parse(files.valuesYaml) ?? {}) as { image?: { tag?: unknown } };
  const version = typeof pkg.version === 'string' ? pkg.version : '';
  if (!SEMVER.test(version))
    errors.push(`package.json: version ${JSON.stringify(pkg.version)} is not a semantic version (X.Y.Z)`);
  for (const field of ['version', 'appVersion'] as const) {
    const value = chart[field];
    if (typeof value !== 'string' || value !== version)
      errors.push(
        `charts/thurkube/Chart.yaml: ${field} is ${JSON.stringify(value)}, package.json's version is ${JSON.stringify(version)}: they must be equal (a string)`,
      );
  }
  const tag = values.image?.tag;
  if (tag !== undefined && tag !== '')
    errors.push(
      `charts/thurkube/values.yaml: image.tag is ${JSON.stringify(tag)}; a released chart leaves it empty, so that it installs the image of its appVersion`,
    );
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: version };
}

/** Where the image and chart of `version` go in `registry` (`HOST[:PORT][/PATH]`). */
export function releasePlan(registry: string, version: string): Result<ReleasePlan> {
  const trimmed = registry.replace(/\/+$/, '');
  if (/^[a-z]+:\/\//i.test(trimmed))
    return {
      ok: false,
      errors: [
        `--registry ${JSON.stringify(registry)}: name the registry without a scheme, e.g. ${trimmed.replace(/^[a-z]+:\/\//i, '')}`,
      ],
    };
  if (!REGISTRY.test(trimmed))
    return {
      ok: false,
      errors: [
        `--registry ${JSON.stringify(registry)}: expected a registry host with an optional port and path, in lowercase (e.g. ghcr.io/thurbeen or 127.0.0.1:5000)`,
      ],
    };
  const imageRepository = `${trimmed}/${IMAGE_NAME}`;
  return {
    ok: true,
    value: {
      version,
      image: `${imageRepository}:${version}`,
      imageRepository,
      chartRepository: `oci://${trimmed}/charts`,
      chartReference: `oci://${trimmed}/charts/${CHART_NAME}`,
    },
  };
}
