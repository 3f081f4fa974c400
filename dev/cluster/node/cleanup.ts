/**
 * What a stopped real node leaves on the host unless removed: the pods' processes (runc
 * containers outlive containerd and the kubelet), containerd's shims, mounts (overlay snapshots,
 * network namespaces, the kubelet's volumes), cgroups and the bridge. Everything here is found
 * by this node's own names (its directory, its socket, its cgroup root, its bridge), never by a
 * process name, so other nodes on the same host are left alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../../shared/time.js';

const CGROUP_FS = '/sys/fs/cgroup';

/** Every cgroup directory of `cgroupRoot` in each hierarchy (v1 controllers and the v2 mount). */
function cgroupDirs(cgroupRoot: string): string[] {
  if (!existsSync(CGROUP_FS)) return [];
  const hierarchies = existsSync(join(CGROUP_FS, 'cgroup.controllers'))
    ? [CGROUP_FS]
    : readdirSync(CGROUP_FS)
        .map((h) => join(CGROUP_FS, h))
        .filter((h) => {
          try {
            return statSync(h).isDirectory();
          } catch {
            return false;
          }
        });
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const entry of entries) walk(join(dir, entry));
    out.push(dir);
  };
  for (const h of hierarchies) {
    const root = join(h, cgroupRoot);
    if (existsSync(root)) walk(root);
  }
  return out; // deepest first
}

/** The cgroup root must exist before the kubelet starts (it refuses a missing one). */
export function createCgroupRoot(cgroupRoot: string): void {
  if (existsSync(join(CGROUP_FS, 'cgroup.controllers'))) {
    execFileSync('mkdir', ['-p', join(CGROUP_FS, cgroupRoot)]);
    return;
  }
  for (const h of readdirSync(CGROUP_FS)) {
    const dir = join(CGROUP_FS, h);
    try {
      if (statSync(dir).isDirectory() && existsSync(join(dir, 'cgroup.procs')))
        execFileSync('mkdir', ['-p', join(dir, cgroupRoot)]);
    } catch {}
  }
}

function pidsIn(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n'))
        if (line.trim()) pids.add(Number(line));
    } catch {}
  }
  return [...pids];
}

/** SIGKILL every process in the node's cgroups (the pods), then remove the cgroups. */
export async function removePodsAndCgroups(cgroupRoot: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = pidsIn(cgroupDirs(cgroupRoot));
    if (pids.length === 0 || Date.now() > deadline) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(100);
  }
  for (const dir of cgroupDirs(cgroupRoot)) {
    try {
      rmdirSync(dir);
    } catch {}
  }
}

/** containerd's shims for this node: their command line names its socket. */
export function shimPids(socket: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('-address');
      if (i >= 0 && args[i + 1] === socket && /containerd-shim/.test(args[0] ?? '')) out.push(Number(entry));
    } catch {}
  }
  return out;
}

export function killShims(socket: string): void {
  for (const pid of shimPids(socket)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/** Mount points under `dir` (deepest first), from this process's mount table. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mp): mp is string => !!mp && (mp === dir || mp.startsWith(prefix)))
    .map((mp) => mp.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

export function unmountUnder(dir: string): void {
  for (let pass = 0; pass < 3; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const mp of mounts) {
      try {
        execFileSync('umount', ['-l', mp], { stdio: 'ignore' });
      } catch {}
    }
  }
}

export function deleteBridge(bridge: string): void {
  if (!existsSync(`/sys/class/net/${bridge}`)) return;
  try {
    execFileSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
  } catch {}
}
