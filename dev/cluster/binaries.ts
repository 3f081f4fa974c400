/**
 * Finds or builds the upstream binaries: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, kubectl, kubelet, kwok, helm and the OCI registry (distribution), and the checkers
 * kubeconform and actionlint, at the pinned versions.
 *
 * Order: $THURKUBE_BIN_DIR, then the cache (~/.cache/thurkube/<tool>-<version>/), then PATH; a
 * binary is used only when it reports the pinned version. Otherwise it is built from the Go module
 * under dev/cluster/go/ through the Go module proxy and moved into the cache atomically, so an
 * interrupted build leaves nothing half-written (Go's own build cache keeps the compiled packages).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireLock } from './lock.js';
import { TOOLS, type ToolSpec, VERSIONS } from './versions.js';

export type BinaryName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubectl'
  | 'kubelet'
  | 'kwok'
  | 'kubeconform'
  | 'actionlint'
  | 'helm'
  | 'registry';
export type Binaries = Record<BinaryName, string>;

const GO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'go');

export function cacheRoot(): string {
  return (
    process.env.THURKUBE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thurkube')
  );
}

export function toolCacheDir(tool: ToolSpec): string {
  return join(cacheRoot(), `${tool.group}-${VERSIONS[tool.group]}`);
}

function reportsPinnedVersion(tool: ToolSpec, name: string, path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const out = execFileSync(path, tool.versionArgs[name] ?? ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    return tool.versionMatches(out.trim());
  } catch {
    return false;
  }
}

function findOnPath(name: string): string[] {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name));
}

/** Where each binary of a tool already is, or undefined when one of them is missing. */
function locate(tool: ToolSpec): Record<string, string> | undefined {
  const found: Record<string, string> = {};
  for (const name of Object.keys(tool.binaries)) {
    const candidates = [
      ...(process.env.THURKUBE_BIN_DIR ? [join(process.env.THURKUBE_BIN_DIR, name)] : []),
      join(toolCacheDir(tool), name),
      ...findOnPath(name),
    ];
    const hit = candidates.find((path) => reportsPinnedVersion(tool, name, path));
    if (!hit) return undefined;
    found[name] = hit;
  }
  return found;
}

function checkGo(): void {
  let version: string;
  try {
    version = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', env: goEnv() }).trim();
  } catch {
    throw new Error(
      'Go is needed to build the Kubernetes binaries for the local cluster, and `go` was not found on PATH. ' +
        'Install Go ≥ 1.26, or point THURKUBE_BIN_DIR at a directory holding the pinned binaries.',
    );
  }
  const [, minor] = /^go1\.(\d+)/.exec(version) ?? [];
  if (!minor || Number(minor) < 26) {
    throw new Error(`Go ≥ 1.26 is needed to build the local cluster binaries; found ${version}.`);
  }
}

export function goEnv(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never download another Go; a module that needs one fails with a clear error.
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
}

async function build(tool: ToolSpec, log: (line: string) => void): Promise<Record<string, string>> {
  const target = toolCacheDir(tool);
  mkdirSync(target, { recursive: true });
  const staging = mkdtempSync(join(target, '.build-'));
  const names = Object.keys(tool.binaries);
  const args = [
    'build',
    '-v',
    '-trimpath',
    '-ldflags',
    ['-s', '-w', ...tool.ldflags].join(' '),
    '-o',
    // One package: name the file (etcd's package path ends in /v3). Several: Go names each after its directory.
    names.length === 1 ? join(staging, names[0] ?? '') : `${staging}/`,
    ...Object.values(tool.binaries),
  ];
  const started = Date.now();
  log(`building ${names.join(', ')} ${VERSIONS[tool.group]} from source (Go module proxy); this runs once`);
  let packages = 0;
  let tail = '';
  const timer = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    log(
      `  ${tool.group}: ${packages} packages compiled, ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`,
    );
  }, 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', args, {
        cwd: join(GO_DIR, tool.module),
        env: goEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        packages += chunk.split('\n').filter((l) => l && !l.startsWith('go: ')).length;
        tail = (tail + chunk).slice(-4000);
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`go build of ${tool.group} failed (exit ${code}):\n${tail}`)),
      );
    });
  } finally {
    clearInterval(timer);
  }
  const out: Record<string, string> = {};
  for (const name of names) {
    renameSync(join(staging, name), join(target, name));
    out[name] = join(target, name);
  }
  rmSync(staging, { recursive: true, force: true });
  log(`  ${tool.group}: built in ${Math.round((Date.now() - started) / 1000)}s into ${target}`);
  return out;
}

/** Returns the path of every binary, building what is missing. */
export async function ensureBinaries(log: (line: string) => void = () => {}): Promise<Binaries> {
  const all: Record<string, string> = {};
  let missing = TOOLS.filter((tool) => {
    const found = locate(tool);
    if (found) Object.assign(all, found);
    return !found;
  });
  if (missing.length > 0) {
    checkGo();
    const release = await acquireLock(join(cacheRoot(), '.build.lock'), log);
    try {
      // Another process may have built them while we waited for the lock.
      missing = missing.filter((tool) => {
        const found = locate(tool);
        if (found) Object.assign(all, found);
        return !found;
      });
      for (const tool of missing) Object.assign(all, await build(tool, log));
    } finally {
      release();
    }
  }
  return all as Binaries;
}
