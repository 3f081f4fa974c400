/**
 * Runs the cluster suites (integration and e2e) on a kind cluster, for machines with Docker.
 * It creates the cluster with the pinned Kubernetes version, points the suites at its kubeconfig
 * through THURKUBE_TEST_KUBECONFIG, and deletes the cluster afterwards unless --keep is given.
 *
 *   npx tsx dev/cluster/kind.ts [--name thurkube-e2e] [--image kindest/node:v1.36.3] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VERSIONS } from './versions.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'thurkube-e2e' },
    image: { type: 'string', default: `kindest/node:${VERSIONS.kubernetes}` },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('Usage: npx tsx dev/cluster/kind.ts [--name NAME] [--image kindest/node:vX.Y.Z] [--keep]');
  process.exit(0);
}

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const res = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (res.error) throw new Error(`${cmd}: ${res.error.message} (is it installed?)`);
  return res.status ?? 1;
};

const kubeconfig = join(mkdtempSync(join(tmpdir(), 'thurkube-kind-')), 'kubeconfig');
const name = values.name ?? 'thurkube-e2e';
if (
  sh('kind', [
    'create',
    'cluster',
    '--name',
    name,
    '--image',
    values.image ?? '',
    '--kubeconfig',
    kubeconfig,
    '--wait',
    '120s',
  ]) !== 0
) {
  process.exit(1);
}
let code = 1;
try {
  code = sh('npx', ['vitest', 'run', '--project', 'cluster'], {
    ...process.env,
    THURKUBE_TEST_KUBECONFIG: kubeconfig,
  });
} finally {
  if (!values.keep) sh('kind', ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig]);
}
process.exit(code);
