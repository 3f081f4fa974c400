/**
 * `npm run release -- --registry HOST[/PATH]`: pushes the image built from the Dockerfile and the
 * packaged chart to an OCI registry, as the release workflow does for GHCR. `--help` says how.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBinaries } from '../dev/cluster/binaries.js';
import { run } from '../dev/cluster/run.js';
import { productImage } from '../dev/images/images.js';
import { nodeBaseImage } from '../dev/images/node-base.js';
import { pushImage } from '../dev/images/push.js';
import { CHART } from '../dev/local-stack.js';
import { packageChart, pushChart } from './release/chart.js';
import { releasePlan, releaseVersion } from './release/plan.js';

const ROOT = join(import.meta.dirname, '..');

const USAGE = `Usage: npm run release -- --registry HOST[:PORT][/PATH] [--ca-file PATH]

Releases version V of thurkube (package.json's version, which charts/thurkube/Chart.yaml's
version and appVersion must equal; it refuses otherwise) to an OCI registry:

  image   HOST/PATH/thurkube:V          built from the Dockerfile (as npm run images builds it:
                                        buildah, the Node base from Debian and npm), buildah push
  chart   oci://HOST/PATH/charts/thurkube, version V: helm lint --strict, helm package, helm push;
                                        its image.repository names HOST/PATH/thurkube, so the
                                        chart installs the image released with it

Options:
  --registry HOST[:PORT][/PATH]   e.g. ghcr.io/thurbeen, or the local cluster's 127.0.0.1:PORT
                                  (npm run cluster -- up --registry prints it)
  --ca-file PATH                  trust the registry's certificate with this CA (a private
                                  registry; the local cluster's is REGISTRY_CA)
  -h, --help                      this text

Credentials are those of buildah and helm (buildah login HOST, helm registry login HOST).
Prints the pushed image and chart with their digests, and the helm install command.
Needs root, buildah and debootstrap for the image build (cached in ~/.cache/thurkube/images).`;

const log = (line: string) => process.stderr.write(`[release] ${line}\n`);

async function main(): Promise<number> {
  let values: { registry?: string; 'ca-file'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        registry: { type: 'string' },
        'ca-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`release: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.registry) {
    console.error(`release: --registry is required\n\n${USAGE}`);
    return 2;
  }
  const version = releaseVersion({
    packageJson: readFileSync(join(ROOT, 'package.json'), 'utf8'),
    chartYaml: readFileSync(join(CHART, 'Chart.yaml'), 'utf8'),
    valuesYaml: readFileSync(join(CHART, 'values.yaml'), 'utf8'),
  });
  if (!version.ok) {
    console.error(
      `release: refused, the versions do not name one release:\n  ${version.errors.join('\n  ')}`,
    );
    return 1;
  }
  const plan = releasePlan(values.registry, version.value);
  if (!plan.ok) {
    console.error(`release: ${plan.errors.join('\n')}`);
    return 2;
  }
  const { image, imageRepository, chartRepository, chartReference } = plan.value;
  const caFile = values['ca-file'];
  log(`thurkube ${version.value}: package.json, the chart's version and appVersion agree`);

  const binaries = await ensureBinaries(log);
  const helm = (args: string[]) => run(binaries.helm, args);
  const built = await productImage(await nodeBaseImage(log), log);
  log(`image ${built.ref}${built.built ? '' : ' (cached)'}: pushing to ${image}`);
  const pushed = await pushImage({ name: 'thurkube', image: built, destination: image, caFile, log });

  const work = mkdtempSync(join(tmpdir(), 'thurkube-release-'));
  try {
    const chart = await packageChart({ helm, chartDir: CHART, workDir: work, imageRepository });
    if (chart.replacedRepository)
      log(`chart: image.repository ${chart.replacedRepository} -> ${imageRepository} in the released chart`);
    const digest = await pushChart({ helm, archive: chart.archive, repository: chartRepository, caFile });
    console.log(`image  ${pushed.reference}@${pushed.digest}`);
    console.log(`chart  ${chartReference}:${version.value}@${digest}`);
    console.log('install it with:');
    console.log(
      `  helm install thurkube ${chartReference} --version ${version.value} --namespace thurkube-system --create-namespace`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`release: ${error.message}`);
    process.exitCode = 1;
  },
);
