/**
 * A real node beside kwok's: containerd (with runc and a bridge CNI without routes), a kubelet
 * built from the pinned Kubernetes module, and the pause image, all under `<cluster>/node/`. The
 * harness plays the cloud controller (`--cloud-provider=external`): it sets the node's addresses
 * to loopback and clears the "uninitialized" taint, so the API server reaches the kubelet at
 * 127.0.0.1 and never at the host's own interface. The node keeps the real-node taint.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../../shared/time.js';
import { pauseImage } from '../../images/pause.js';
import type { Binaries } from '../binaries.js';
import { writeKubeconfig } from '../kubeconfig.js';
import type { ClusterPki } from '../pki.js';
import { freePorts } from '../ports.js';
import { isAlive, logTail, type Started, stopProcess, waitReady } from '../processes.js';
import { run } from '../run.js';
import { createCgroupRoot, deleteBridge, killShims, removePodsAndCgroups, unmountUnder } from './cleanup.js';
import { bridgeName, writeCniConfig } from './cni.js';
import { REAL_NODE_NAME } from './constants.js';
import { containerdPaths, writeContainerdConfig } from './containerd.js';
import { findHostTools, type HostTools } from './host.js';
import { kubeletArgs } from './kubelet.js';

export interface RealNodeState {
  name: string;
  dir: string;
  containerdSocket: string;
  ctr: string;
  cgroupRoot: string;
  bridge: string;
  kubeletPort: number;
}

export interface RealNodeStart {
  clusterDir: string;
  server: string;
  pki: ClusterPki;
  binaries: Binaries;
  /** Starts a process of the cluster (recorded in its state, stopped with it). */
  start(name: string, binary: string, args: string[]): Started;
  /** Registries its containerd pulls from (by HTTPS, trusting their CA); every other is refused. */
  registries?: { host: string; caFile: string }[];
  /** Called with the node's state as soon as it has host state to clean up. */
  record(node: RealNodeState): void;
  log(line: string): void;
}

export const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';

/** Image archives to import into the node's containerd, besides pause (e.g. the built images). */
export async function importImages(node: RealNodeState, archives: string[]): Promise<void> {
  for (const archive of archives) {
    const r = await run(node.ctr, [
      '--address',
      node.containerdSocket,
      '-n',
      'k8s.io',
      'images',
      'import',
      archive,
    ]);
    if (r.code !== 0) throw new Error(`ctr images import ${archive} failed:\n${r.stderr || r.stdout}`);
  }
}

export async function startRealNode(o: RealNodeStart, host?: HostTools): Promise<RealNodeState> {
  const found = host ? { tools: host } : findHostTools();
  if ('unavailable' in found) throw new Error(`the real node cannot run here: ${found.unavailable}`);
  const tools = found.tools;
  const dir = join(o.clusterDir, 'node');
  const paths = containerdPaths(join(dir, 'containerd'));
  for (const sub of ['containerd', 'kubelet', 'cni']) mkdirSync(join(dir, sub), { recursive: true });
  const [kubeletPort = 0, healthzPort = 0] = await freePorts(2);
  const node: RealNodeState = {
    name: REAL_NODE_NAME,
    dir,
    containerdSocket: paths.socket,
    ctr: tools.ctr,
    cgroupRoot: `/thurkube-${bridgeName(dir).slice(2)}`,
    bridge: bridgeName(dir),
    kubeletPort,
  };
  o.record(node);

  const cniConfDir = join(dir, 'cni', 'net.d');
  writeCniConfig(cniConfDir, { bridge: node.bridge, ipamDir: join(dir, 'cni', 'ipam') });
  writeContainerdConfig({
    paths,
    runc: tools.runc,
    cniBinDir: tools.cniBinDir,
    cniConfDir,
    registryConfigDir: join(dir, 'containerd', 'registries'),
    registries: o.registries,
  });
  const pause = await pauseImage(o.log);
  const containerd = o.start('containerd', tools.containerd, [
    `--config=${paths.config}`,
    '--log-level=warn',
  ]);
  await waitFor('containerd to serve its socket', containerd, async () => {
    const r = await run(tools.ctr, ['--address', paths.socket, 'version']);
    return r.code === 0;
  });
  await importImages(node, [pause.archive]);
  o.log(`containerd ready on ${paths.socket}`);

  createCgroupRoot(node.cgroupRoot);
  const kubeconfig = writeKubeconfig(join(dir, 'kubelet', 'kubeconfig'), {
    server: o.server,
    caFile: o.pki.caCert,
    certFile: o.pki.client('kubelet').cert,
    keyFile: o.pki.client('kubelet').key,
    user: `system:node:${REAL_NODE_NAME}`,
  });
  const kubelet = o.start(
    'kubelet',
    o.binaries.kubelet,
    kubeletArgs({
      dir: join(dir, 'kubelet'),
      port: kubeletPort,
      healthzPort,
      caFile: o.pki.caCert,
      servingCert: o.pki.kubeletServing,
      containerdSocket: paths.socket,
      cgroupRoot: node.cgroupRoot,
      kubeconfig,
    }),
  );
  await waitReady(kubelet, { url: `http://127.0.0.1:${healthzPort}/healthz` }, 90_000);
  await initializeNode(o.binaries.kubectl, join(o.clusterDir, 'kubeconfig'), kubelet);
  o.log(`kubelet ready; node ${REAL_NODE_NAME} is Ready (kubelet on 127.0.0.1:${kubeletPort})`);
  return node;
}

async function waitFor(what: string, proc: Started, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(proc.pid)) throw new Error(`${proc.name} exited; its log ends:\n${logTail(proc.log)}`);
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}; ${proc.name}'s log ends:\n${logTail(proc.log)}`);
}

/**
 * The cloud controller's part: loopback addresses (InternalIP 127.0.0.1, so that hostNetwork pods
 * and their probes use loopback too, and Hostname localhost) and no "uninitialized" taint. Then
 * waits for Ready.
 */
async function initializeNode(kubectlBin: string, adminKubeconfig: string, kubelet: Started): Promise<void> {
  const kubectl = (args: string[]) => run(kubectlBin, ['--kubeconfig', adminKubeconfig, ...args]);
  const addresses = [
    { type: 'InternalIP', address: '127.0.0.1' },
    { type: 'Hostname', address: 'localhost' },
  ];
  await waitFor(
    'the node to be registered, initialized and Ready',
    kubelet,
    async () => {
      const r = await kubectl(['get', 'node', REAL_NODE_NAME, '-o', 'json']);
      if (r.code !== 0) return false;
      const node = JSON.parse(r.stdout) as {
        spec?: { taints?: { key: string }[] };
        status?: { addresses?: unknown[]; conditions?: { type: string; status: string }[] };
      };
      const current = (node.status?.addresses ?? []) as { type: string; address: string }[];
      if (
        current.map((a) => `${a.type}=${a.address}`).join() !==
        addresses.map((a) => `${a.type}=${a.address}`).join()
      ) {
        await kubectl([
          'patch',
          'node',
          REAL_NODE_NAME,
          '--subresource=status',
          '--type=merge',
          '-p',
          JSON.stringify({ status: { addresses } }),
        ]);
        return false;
      }
      if ((node.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED_TAINT)) {
        await kubectl(['taint', 'node', REAL_NODE_NAME, `${UNINITIALIZED_TAINT}-`]);
        return false;
      }
      return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    120_000,
  );
}

/** Stops the node's processes and removes everything it left on the host. */
export async function stopRealNode(node: RealNodeState, processes: Started[]): Promise<void> {
  const kubelet = processes.find((p) => p.name === 'kubelet');
  const containerd = processes.find((p) => p.name === 'containerd');
  if (kubelet) await stopProcess(kubelet.pid);
  await removePodsAndCgroups(node.cgroupRoot);
  if (containerd) await stopProcess(containerd.pid);
  killShims(node.containerdSocket);
  unmountUnder(node.dir);
  deleteBridge(node.bridge);
}
