/**
 * The real node's kubelet: configuration file and flags. It listens on 127.0.0.1 only (API port,
 * healthz; no read-only port), authenticates the API server by its client certificate (x509 from
 * the harness CA, anonymous off) and asks the API server whether it may (webhook authorization).
 * `--cloud-provider=external` without `--node-ip`: the kubelet refuses a loopback node IP, and would
 * otherwise pick the host's own interface address, which must never be dialled; the harness acts
 * as the cloud controller and sets the node's addresses to loopback (node.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REAL_NODE_LABEL, REAL_NODE_NAME, REAL_NODE_TAINT } from './constants.js';

export interface KubeletOptions {
  dir: string;
  port: number;
  healthzPort: number;
  caFile: string;
  servingCert: { cert: string; key: string };
  containerdSocket: string;
  /** cgroup parent of every pod, unique to this node (several nodes may share the host). */
  cgroupRoot: string;
  kubeconfig: string;
}

export function kubeletConfiguration(o: KubeletOptions) {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: '127.0.0.1',
    port: o.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: o.healthzPort,
    tlsCertFile: o.servingCert.cert,
    tlsPrivateKeyFile: o.servingCert.key,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: o.caFile },
    },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${o.containerdSocket}`,
    // These hosts have cgroup v1 with a cgroup2 mount beside it (hybrid), and no systemd.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: o.cgroupRoot,
    cgroupsPerQOS: true,
    enforceNodeAllocatable: ['pods'],
    failSwapOn: false,
    registerNode: true,
    registerWithTaints: [REAL_NODE_TAINT],
    podLogsDir: join(o.dir, 'pod-logs'),
    // No cluster DNS here; pods resolve nothing (they need no network).
    resolvConf: join(o.dir, 'resolv.conf'),
    clusterDomain: 'cluster.local',
    maxPods: 40,
    serializeImagePulls: false,
    // A shared development machine: do not evict pods because other work fills the disk.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // Images named localhost/... exist only on this node, imported from the archives dev/images
    // builds. Under the default policy (NeverVerifyPreloadedImages) one stops counting as
    // preloaded once the kubelet has pulled the same image ID under a registry's name (the release
    // suite pulls the very image it pushed): pods asking for it by its local name with pull
    // policy Never were then refused ("not present") for good. Everything else stays verified.
    imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages',
    preloadedImagesVerificationAllowlist: ['localhost/*'],
    makeIPTablesUtilChains: false,
    shutdownGracePeriod: '0s',
    nodeStatusUpdateFrequency: '10s',
    syncFrequency: '10s',
    fileCheckFrequency: '10s',
    // Flush container logs promptly, so `kubectl logs` of a pod that just ended has every line.
    containerLogMaxSize: '10Mi',
  };
}

export function kubeletArgs(o: KubeletOptions): string[] {
  const config = join(o.dir, 'kubelet-config.yaml');
  writeFileSync(config, stringify(kubeletConfiguration(o)));
  writeFileSync(join(o.dir, 'resolv.conf'), '');
  return [
    `--config=${config}`,
    `--kubeconfig=${o.kubeconfig}`,
    `--root-dir=${join(o.dir, 'root')}`,
    `--cert-dir=${join(o.dir, 'pki')}`,
    `--hostname-override=${REAL_NODE_NAME}`,
    `--node-labels=${Object.entries({ ...REAL_NODE_LABEL, 'thurkube.thurbeen.eu/node-kind': 'real' })
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`,
    '--cloud-provider=external',
    '--v=1',
  ];
}
