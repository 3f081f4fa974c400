/**
 * What the real node needs from the host, and why it cannot run when something is missing:
 * Debian's containerd, runc and CNI plugins (apt packages, installed by .ci/run), root, overlayfs
 * and a cgroup hierarchy. The kubelet itself is built from the pinned Kubernetes module.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Debian bookworm's packages the node runs on (README: versions table). */
export const HOST_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins'] as const;

export interface HostTools {
  containerd: string;
  ctr: string;
  runc: string;
  /** Directory of the CNI plugins (bridge, host-local, loopback). */
  cniBinDir: string;
}

const CANDIDATES = {
  containerd: ['/usr/bin/containerd', '/usr/local/bin/containerd'],
  ctr: ['/usr/bin/ctr', '/usr/local/bin/ctr'],
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'],
  cniBinDir: ['/usr/lib/cni', '/opt/cni/bin'],
};
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];

/** The tools, or the reason the real node cannot run on this host (a sentence for the terminal). */
export function findHostTools(): { tools: HostTools } | { unavailable: string } {
  if (process.platform !== 'linux')
    return { unavailable: `the real node needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0)
    return { unavailable: 'the real node needs root (containerd and the kubelet manage mounts and cgroups)' };
  const pick = (paths: string[]) => paths.find((p) => existsSync(p));
  const containerd = pick(CANDIDATES.containerd);
  const ctr = pick(CANDIDATES.ctr);
  const runc = pick(CANDIDATES.runc);
  const cniBinDir = CANDIDATES.cniBinDir.find((d) => CNI_PLUGINS.every((p) => existsSync(`${d}/${p}`)));
  const missing = [
    ...(containerd && ctr ? [] : ['containerd']),
    ...(runc ? [] : ['runc']),
    ...(cniBinDir ? [] : ['containernetworking-plugins']),
  ];
  if (missing.length > 0)
    return {
      unavailable: `missing host packages: ${missing.join(', ')} (apt-get install -y ${HOST_PACKAGES.join(' ')})`,
    };
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay'))
    return { unavailable: 'the kernel offers no overlay file system (containerd snapshotter overlayfs)' };
  if (!existsSync('/sys/fs/cgroup/memory') && !existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return { unavailable: 'no cgroup hierarchy under /sys/fs/cgroup' };
  return {
    tools: { containerd: containerd ?? '', ctr: ctr ?? '', runc: runc ?? '', cniBinDir: cniBinDir ?? '' },
  };
}

/** Debian package versions (`containerd 1.6.20~ds1-1+deb12u3`), for `npm start` and the README. */
export function hostVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of HOST_PACKAGES) {
    try {
      // dpkg-query's own format syntax, not a template.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: see above
      out[name] = execFileSync('dpkg-query', ['-W', '-f', '${Version}', name], { encoding: 'utf8' }).trim();
    } catch {
      out[name] = 'not from a Debian package';
    }
  }
  return out;
}
