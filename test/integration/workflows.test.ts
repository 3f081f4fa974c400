/**
 * The GitHub Actions workflows of the public repository. They cannot run here (no GitHub, no
 * registry); what can be checked is checked: actionlint (pinned, built like the other binaries)
 * with ShellCheck on their shell steps, ShellCheck on .ci/run, and that a release publishes
 * where the chart and the README say users pull from.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../dev/cluster/run.js';
import { findBinary } from '../../dev/prometheus.js';
import { CHART_DIR } from '../support/chart.js';
import { testCluster } from '../support/testing.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { binaries } = testCluster();
const shellcheck = () => findBinary('shellcheck');
/** actionlint in the repository (it finds .github/workflows from the Git root), or on given files. */
const actionlint = (files: string[] = []) =>
  run('/bin/sh', [
    '-c',
    'cd "$1" && shift && exec "$@"',
    'sh',
    ROOT,
    binaries.actionlint,
    '-no-color',
    '-verbose',
    `-shellcheck=${shellcheck()}`,
    ...files,
  ]);
const scratch = mkdtempSync(join(tmpdir(), 'thurkube-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps?: Step[]; uses?: string; env?: Record<string, string> }>;
}
const workflow = (name: string) =>
  parse(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;

describe('CI workflows', () => {
  it('pass actionlint, shell steps included', async () => {
    const res = await actionlint();
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('Found 0 errors in 2 files');
    expect(res.code).toBe(0);
  });

  it('actionlint finds a broken workflow (the check is not a no-op)', async () => {
    const dir = join(scratch, 'broken');
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(
      join(dir, '.github', 'workflows', 'broken.yml'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n      - run: cd $UNQUOTED_DIR\n',
    );
    const res = await actionlint([join(dir, '.github', 'workflows', 'broken.yml')]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('no_such_thing');
    expect(res.stdout).toContain('shellcheck reported issue');
  });

  it('keep .ci/run clean for ShellCheck', async () => {
    const res = await run(shellcheck(), [join(ROOT, '.ci', 'run')]);
    expect(res.stdout + res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('test with .ci/run, on pushes, pull requests and before a release', () => {
    const test = workflow('test.yml');
    expect(Object.keys(test.on).sort()).toEqual([
      'pull_request',
      'push',
      'workflow_call',
      'workflow_dispatch',
    ]);
    expect(test.jobs.test?.steps?.map((s) => s.run).filter(Boolean)).toEqual(['bash .ci/run']);
    const release = workflow('release.yml');
    expect(release.jobs.test?.uses).toBe('./.github/workflows/test.yml');
  });

  it('release the image with provenance and the chart as an OCI artifact, where the chart and the README pull from', () => {
    const release = workflow('release.yml');
    const build = release.jobs.image?.steps?.find((s) => s.uses?.startsWith('docker/build-push-action'));
    expect(build?.with).toMatchObject({ provenance: 'mode=max', sbom: true, push: true });
    // With the owner of the repository thurbeen, as the chart's default image and the README say.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
    const owner = (s: string | undefined) => s?.replace('${{ needs.version.outputs.owner }}', 'thurbeen');
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      image: { repository: string };
    };
    expect(owner(release.jobs.image?.env?.IMAGE)).toBe(values.image.repository);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`oci://${owner(release.jobs.chart?.env?.REPOSITORY)}/thurkube`);
    const push = release.jobs.chart?.steps?.find((s) => s.id === 'push');
    expect(push?.run).toContain('helm push "dist/thurkube-$VERSION.tgz" "oci://$REPOSITORY"');
    for (const job of ['image', 'chart'])
      expect(
        release.jobs[job]?.steps?.some((s) => s.uses?.startsWith('actions/attest-build-provenance')),
        job,
      ).toBe(true);
  });
});
