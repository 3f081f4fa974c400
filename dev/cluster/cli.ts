/** `npm run cluster -- up | down | status`: the local control plane from the command line. */
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureImages } from '../images/images.js';
import { ensureBinaries } from './binaries.js';
import { type ClusterState, isRunning, readState, startCluster, stopCluster } from './cluster.js';
import { importImages } from './node/node.js';

const USAGE = `Usage: npm run cluster -- <up|down|status|build> [--dir DIR]

  up      start the local control plane (etcd, kube-apiserver, kube-controller-manager,
          kube-scheduler, kwok with one fake node), building the binaries the first time;
          does nothing when it already runs. Prints KUBECONFIG=<path> when ready.
  down    stop every process it started and remove its state directory
  status  say whether it runs, with its kubeconfig and processes
  build   only find or build the pinned binaries, and print where they are

  --dir DIR     state directory (default $THURKUBE_CLUSTER_DIR or ${defaultDir()})
  --real-node   with up: also a real node (kubelet, containerd, runc; root and Debian's
                containerd, runc and containernetworking-plugins), tainted
                thurkube.thurbeen.eu/real-node=true:NoSchedule, with the images of
                npm run images imported
  --registry    with up: also an OCI registry (distribution) on https://127.0.0.1:PORT, its
                certificate from the cluster's CA (pki/ca.crt), that the real node pulls
                from; prints REGISTRY=127.0.0.1:PORT and REGISTRY_CA=<path> (npm run release)

Environment: THURKUBE_BIN_DIR (use binaries from there), THURKUBE_CACHE_DIR (build cache,
default ~/.cache/thurkube).`;

function defaultDir(): string {
  return process.env.THURKUBE_CLUSTER_DIR ?? join(tmpdir(), `thurkube-cluster-${userInfo().uid}`);
}

function printEndpoints(state: ClusterState): void {
  console.log(`KUBECONFIG=${state.kubeconfig}`);
  if (state.registry) {
    console.log(`REGISTRY=${state.registry.host}`);
    console.log(`REGISTRY_CA=${state.registry.caFile}`);
  }
}

const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      'real-node': { type: 'boolean', default: false },
      registry: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const dir = values.dir ?? defaultDir();
  const state = readState(dir);
  switch (command) {
    case 'up': {
      if (state && isRunning(state)) {
        log(`already running (${state.server})`);
        printEndpoints(state);
        return 0;
      }
      if (state) await stopCluster(state);
      const started = await startCluster({
        dir,
        log,
        realNode: values['real-node'],
        registry: values.registry,
      });
      if (started.realNode) {
        const images = await ensureImages(log);
        await importImages(started.realNode, [
          images.node.archive,
          images.product.archive,
          images.testAgent.archive,
        ]);
        log(`images imported into ${started.realNode.name}`);
      }
      printEndpoints(started);
      return 0;
    }
    case 'down':
      if (!state) {
        log(`no cluster state in ${dir}`);
        return 0;
      }
      await stopCluster(state);
      log('stopped and removed');
      return 0;
    case 'status':
      if (!state) {
        console.log(`not running (no state in ${dir})`);
        return 1;
      }
      console.log(`${isRunning(state) ? 'running' : 'NOT running (run up again)'} since ${state.startedAt}`);
      printEndpoints(state);
      for (const p of state.processes) console.log(`  ${p.name.padEnd(24)} pid ${p.pid}  log ${p.log}`);
      return isRunning(state) ? 0 : 1;
    case 'build': {
      const binaries = await ensureBinaries(log);
      for (const [name, path] of Object.entries(binaries)) console.log(`${name.padEnd(24)} ${path}`);
      return 0;
    }
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`[cluster] ${error.message}`);
    process.exitCode = 1;
  },
);
