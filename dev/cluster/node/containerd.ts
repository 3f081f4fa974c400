/**
 * The real node's container runtime: Debian's containerd (CRI plugin) with runc, its root, state
 * and socket under the harness's directory, so several nodes on one host never share anything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAUSE_IMAGE } from './constants.js';

/** TCP port 9 (discard): nothing listens on it here, so a pull is refused on loopback. */
const CLOSED_PORT = 9;

export interface ContainerdPaths {
  root: string;
  state: string;
  socket: string;
  config: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: join(dir, 'containerd.sock'),
    config: join(dir, 'config.toml'),
  };
}

export interface ContainerdOptions {
  paths: ContainerdPaths;
  runc: string;
  cniBinDir: string;
  cniConfDir: string;
  /** hosts.toml tree (certs.d layout) that sends every registry to a closed loopback port. */
  registryConfigDir: string;
  /** The exceptions: registries on loopback it pulls from by HTTPS, trusting their CA. */
  registries?: { host: string; caFile: string }[];
}

/** containerd 1.6's configuration (version 2 schema). */
export function containerdConfig(o: ContainerdOptions): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const q = JSON.stringify;
  return `version = 2
root = ${q(o.paths.root)}
state = ${q(o.paths.state)}
# Plugins this node never uses: leave them out instead of probing the host for them.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${q(o.paths.socket)}

[ttrpc]
  address = ${q(`${o.paths.socket}.ttrpc`)}

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(o.paths.root, 'opt'))}

[${cri}]
  # Images are built and imported here (no registry); the sandbox image is our own pause.
  sandbox_image = ${q(PAUSE_IMAGE)}
  # The kubelet asks for a negative OOM score for sandboxes, which needs CAP_SYS_RESOURCE; without
  # this every sandbox fails with runc's "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Network namespaces as files of this node's state, removed with it.
  netns_mounts_under_state_dir = true
  # exec, attach and port-forward streams, proxied by the kubelet: loopback only.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  max_container_log_line_size = 16384

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  BinaryName = ${q(o.runc)}
  SystemdCgroup = false

# Nothing is pulled from outside: every registry, whatever the image names, is a closed loopback
# port, so a pod naming an image that was not imported fails at once instead of dialling out; only
# the local registry (when the cluster runs one) is reached, on 127.0.0.1 and by HTTPS.
[${cri}.registry]
  config_path = ${q(o.registryConfigDir)}

[${cri}.cni]
  bin_dir = ${q(o.cniBinDir)}
  conf_dir = ${q(o.cniConfDir)}
  max_conf_num = 1
`;
}

export function writeContainerdConfig(o: ContainerdOptions): string {
  mkdirSync(join(o.registryConfigDir, '_default'), { recursive: true });
  writeFileSync(
    join(o.registryConfigDir, '_default', 'hosts.toml'),
    `server = "http://127.0.0.1:${CLOSED_PORT}"\n\n[host."http://127.0.0.1:${CLOSED_PORT}"]\n  capabilities = ["pull", "resolve"]\n`,
  );
  for (const registry of o.registries ?? []) writeRegistryHost(o.registryConfigDir, registry);
  writeFileSync(o.paths.config, containerdConfig(o));
  return o.paths.config;
}

/**
 * hosts.toml for one registry on loopback (`127.0.0.1:PORT`): pulled from by HTTPS, verified with
 * its CA. containerd reads this tree at each pull, so an entry written later also applies.
 */
export function registryHostToml(registry: { host: string; caFile: string }): string {
  if (!/^127\.0\.0\.1:\d+$/.test(registry.host))
    throw new Error(`the real node pulls only from registries on 127.0.0.1, not ${registry.host}`);
  const q = JSON.stringify;
  const url = `https://${registry.host}`;
  return `server = ${q(url)}\n\n[host.${q(url)}]\n  capabilities = ["pull", "resolve"]\n  ca = ${q(registry.caFile)}\n`;
}

export function writeRegistryHost(
  registryConfigDir: string,
  registry: { host: string; caFile: string },
): void {
  const dir = join(registryConfigDir, registry.host);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hosts.toml'), registryHostToml(registry));
}
