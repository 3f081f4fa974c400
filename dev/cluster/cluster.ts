/**
 * A real single-node Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, RBAC,
 * admission webhooks, PodSecurity, ServiceAccount), kube-controller-manager, kube-scheduler and kwok
 * with one fake node. Every component binds to 127.0.0.1 on a free port; state lives in one
 * directory; every process runs in its own group and is stopped by the pid recorded here.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../shared/time.js';
import { type Binaries, ensureBinaries } from './binaries.js';
import { clientsFor, kubeConfigFrom } from './client.js';
import { writeKubeconfig } from './kubeconfig.js';
import { writeKwokStages } from './kwok-stages.js';
import { type RealNodeState, startRealNode, stopRealNode } from './node/node.js';
import { writeClusterPki } from './pki.js';
import { freePorts } from './ports.js';
import { isAlive, type Started, startProcess, stopProcess, waitReady } from './processes.js';
import { type RegistryState, startRegistry } from './registry.js';
import { VERSIONS } from './versions.js';
import { startWatchdog } from './watchdog.js';

export const NODE_NAME = 'kwok-node-0';

export interface ClusterState {
  dir: string;
  kubeconfig: string;
  server: string;
  kubernetesVersion: string;
  binaries: Binaries;
  processes: Started[];
  startedAt: string;
  /** The real node (kubelet + containerd), when started with `realNode: true`. */
  realNode?: RealNodeState;
  /** The OCI registry on 127.0.0.1, when started with `registry: true`. */
  registry?: RegistryState;
  /** The process whose end stops this cluster (its watchdog watches it), and its checkout. */
  owner?: { pid: number; checkout: string; watchdogPid: number };
}

const STATE_FILE = 'state.json';

export function readState(dir: string): ClusterState | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

export function isRunning(state: ClusterState): boolean {
  return state.processes.every((p) => isAlive(p.pid));
}

export async function stopCluster(state: ClusterState, { keepState = false } = {}): Promise<void> {
  // The real node first: its pods, runtime and host state (mounts, cgroups, bridge).
  if (state.realNode) await stopRealNode(state.realNode, state.processes);
  // Reverse start order: kwok and controllers first, etcd last.
  for (const p of [...state.processes].reverse()) await stopProcess(p.pid);
  if (!keepState) rmSync(state.dir, { recursive: true, force: true });
}

/**
 * Stops one component and starts it again with the same flags (e.g. to prove that clients
 * survive an API server restart), then waits until it is ready again.
 */
export async function restartComponent(
  state: ClusterState,
  name: keyof Binaries,
  downtimeMs = 0,
): Promise<void> {
  const index = state.processes.findIndex((p) => p.name === name);
  const old = state.processes[index];
  if (!old) throw new Error(`no ${name} in this cluster`);
  await stopProcess(old.pid);
  if (downtimeMs > 0) await sleep(downtimeMs);
  const fresh = startProcess(name, old.binary, old.args, old.log, old.env);
  state.processes[index] = fresh;
  writeFileSync(join(state.dir, STATE_FILE), JSON.stringify(state, null, 2));
  if (name === 'kube-apiserver') {
    await waitReady(
      fresh,
      { url: `${state.server}/readyz`, ca: readFileSync(join(state.dir, 'pki', 'ca.crt'), 'utf8') },
      90_000,
    );
  }
}

export interface StartOptions {
  dir: string;
  log?: (line: string) => void;
  /** Also start a real node (dev/cluster/node/): pods that tolerate its taint really run. */
  realNode?: boolean;
  /**
   * Also start an OCI registry on 127.0.0.1 (./registry.ts) that the real node pulls from,
   * trusting its CA: the release path pushes there (scripts/release.ts).
   */
  registry?: boolean;
  /**
   * Stop the cluster when this process ends, however it ends (a watchdog in its own process
   * group); `npm start` and the test setups pass their own pid. Without it the cluster outlives
   * its starter (`npm run cluster -- up`).
   */
  owner?: number;
}

export const CHECKOUT = join(import.meta.dirname, '..', '..');

export async function startCluster({
  dir,
  log = () => {},
  realNode = false,
  registry = false,
  owner,
}: StartOptions): Promise<ClusterState> {
  const binaries = await ensureBinaries(log);
  const started = Date.now();
  for (const sub of ['pki', 'logs', 'etcd']) mkdirSync(join(dir, sub), { recursive: true });
  const pkiDir = join(dir, 'pki');
  const logs = join(dir, 'logs');
  const pki = writeClusterPki(pkiDir);
  const [etcdPort = 0, peerPort = 0, apiPort = 0, kcmPort = 0, schedPort = 0] = await freePorts(5);
  const server = `https://127.0.0.1:${apiPort}`;
  const processes: Started[] = [];
  const state: ClusterState = {
    dir,
    kubeconfig: join(dir, 'kubeconfig'),
    server,
    kubernetesVersion: VERSIONS.kubernetes,
    binaries,
    processes,
    startedAt: new Date().toISOString(),
  };
  const save = () => writeFileSync(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  if (owner !== undefined) {
    state.owner = { pid: owner, checkout: CHECKOUT, watchdogPid: startWatchdog(dir, owner) };
    save();
  }
  const start = (name: string, binary: string, args: string[], env?: Record<string, string>) => {
    const p = startProcess(name, binary, args, join(logs, `${name}.log`), env);
    processes.push(p);
    save();
    return p;
  };
  const run = (name: keyof Binaries, args: string[]) => start(name, binaries[name], args);

  try {
    const etcd = run('etcd', [
      '--name=node0',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=node0=http://127.0.0.1:${peerPort}`,
      '--listen-metrics-urls=',
      '--auto-compaction-retention=1',
      '--quota-backend-bytes=4294967296',
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await waitReady(etcd, {
      url: `http://127.0.0.1:${etcdPort}/health`,
      expect: (s, b) => s === 200 && b.includes('true'),
    });
    log(`etcd ready on 127.0.0.1:${etcdPort}`);

    const apiserver = run('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      // Loopback cannot be a `kubernetes` Service endpoint, so the apiserver must not reconcile it.
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--cert-dir=${pkiDir}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      // PodNodeSelector and PodTolerationRestriction act only on namespaces annotated for them: they
      // send the agent runs of a namespace to the real node (dev/real-stack.ts).
      '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota,PodNodeSelector,PodTolerationRestriction',
      '--allow-privileged=true',
      // Logs and exec on the real node: the API server proves who it is to the kubelet and
      // checks the kubelet's serving certificate; it dials the node's loopback address.
      `--kubelet-client-certificate=${pki.client('apiserver-kubelet-client').cert}`,
      `--kubelet-client-key=${pki.client('apiserver-kubelet-client').key}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      '--profiling=false',
      '--event-ttl=1h',
    ]);
    const ca = readFileSync(pki.caCert, 'utf8');
    await waitReady(apiserver, { url: `${server}/readyz`, ca }, 90_000);
    log(`kube-apiserver ready on ${server}`);

    const kubeconfigFor = (file: string, user: string) =>
      writeKubeconfig(join(dir, file === 'admin' ? 'kubeconfig' : `${file}.kubeconfig`), {
        server,
        caFile: pki.caCert,
        certFile: pki.client(file).cert,
        keyFile: pki.client(file).key,
        user,
      });
    kubeconfigFor('admin', 'thurkube-admin');
    const kcmConfig = kubeconfigFor('kube-controller-manager', 'system:kube-controller-manager');
    const schedConfig = kubeconfigFor('kube-scheduler', 'system:kube-scheduler');
    const kwokConfig = kubeconfigFor('kwok', 'kwok-controller');

    const kcm = run('kube-controller-manager', [
      `--kubeconfig=${kcmConfig}`,
      `--authentication-kubeconfig=${kcmConfig}`,
      `--authorization-kubeconfig=${kcmConfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(pkiDir, 'kcm')}`,
      '--leader-elect=false',
      '--controllers=*',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--cluster-name=thurkube-local',
      // The defaults (20 qps) make the Job controller the bottleneck when tests create many Jobs.
      '--kube-api-qps=200',
      '--kube-api-burst=400',
    ]);
    const scheduler = run('kube-scheduler', [
      `--kubeconfig=${schedConfig}`,
      `--authentication-kubeconfig=${schedConfig}`,
      `--authorization-kubeconfig=${schedConfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
      `--cert-dir=${join(pkiDir, 'scheduler')}`,
      '--leader-elect=false',
    ]);
    await Promise.all([
      waitReady(kcm, { url: `https://127.0.0.1:${kcmPort}/healthz`, insecure: true }),
      waitReady(scheduler, { url: `https://127.0.0.1:${schedPort}/healthz`, insecure: true }),
    ]);
    log('kube-controller-manager and kube-scheduler ready');

    const stages = writeKwokStages(join(dir, 'kwok-stages.yaml'));
    const kwok = run('kwok', [
      `--kubeconfig=${kwokConfig}`,
      `--config=${stages}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      '--cidr=10.244.0.0/16',
      '--node-lease-duration-seconds=40',
    ]);
    await createNode(state.kubeconfig);
    await waitForNodeReady(state.kubeconfig, kwok);
    log(`kwok ready; node ${NODE_NAME} is Ready`);
    await waitForServiceAccount(state.kubeconfig, 'default', 60_000);
    if (registry) {
      state.registry = await startRegistry({ dir, binary: binaries.registry, pki, start });
      save();
      log(`registry ready on https://${state.registry.host} (CA ${state.registry.caFile})`);
    }
    if (realNode) {
      await grantKubeletApi(state);
      state.realNode = await startRealNode({
        clusterDir: dir,
        server,
        pki,
        binaries,
        start,
        registries: state.registry ? [state.registry] : [],
        record: (node) => {
          state.realNode = node;
          save();
        },
        log,
      });
    }
    log(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    save();
    return state;
  } catch (error) {
    await stopCluster(state, { keepState: true });
    throw error;
  }
}

/** The API server's kubelet client may use the kubelet API (logs, exec), as on kubeadm clusters. */
async function grantKubeletApi(state: ClusterState): Promise<void> {
  const { rbac } = clientsFor(kubeConfigFrom(state.kubeconfig));
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'thurkube-local:apiserver-kubelet-client' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:kubelet-api-admin',
      },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kube-apiserver-kubelet-client' },
      ],
    },
  });
}

async function createNode(kubeconfig: string): Promise<void> {
  const { core } = clientsFor(kubeConfigFrom(kubeconfig));
  await core.createNode({
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: NODE_NAME,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': NODE_NAME,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
        },
      },
    },
  });
}

async function waitForNodeReady(kubeconfig: string, kwok: Started): Promise<void> {
  const { core } = clientsFor(kubeConfigFrom(kubeconfig));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!isAlive(kwok.pid)) throw new Error(`kwok exited; see ${kwok.log}`);
    const node = await core.readNode({ name: NODE_NAME });
    if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    await sleep(250);
  }
  throw new Error(`node ${NODE_NAME} did not become Ready within 60s; see ${kwok.log}`);
}

/** Pods are refused in a namespace until its default ServiceAccount exists. */
export async function waitForServiceAccount(
  kubeconfig: string,
  namespace: string,
  timeoutMs = 30_000,
): Promise<void> {
  const { core } = clientsFor(kubeConfigFrom(kubeconfig));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace });
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(
    `ServiceAccount default did not appear in namespace ${namespace} within ${timeoutMs / 1000}s`,
  );
}
