/**
 * Daemonless image builds: Debian's buildah with its own storage under the thurkube cache (never
 * the host's default store, which other tools may use), `--isolation chroot` (the default OCI
 * isolation fails on these hosts like podman does, on RLIMIT_NPROC), and archives that
 * containerd's `ctr images import` reads.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../cluster/binaries.js';
import { type RunResult, run } from '../cluster/run.js';

export const BUILDAH_CANDIDATES = ['/usr/bin/buildah', '/usr/local/bin/buildah'];

export function findBuildah(): string | undefined {
  return BUILDAH_CANDIDATES.find((p) => existsSync(p));
}

export function buildahStorage(): string[] {
  const root = join(cacheRoot(), 'buildah');
  return ['--root', join(root, 'storage'), '--runroot', join(root, 'run'), '--storage-driver', 'overlay'];
}

/** Runs buildah with the cache's storage; throws with its output when it fails. */
export async function buildah(args: string[], what: string): Promise<string> {
  const binary = findBuildah();
  if (!binary) throw new Error('buildah is not installed (apt-get install -y buildah): it builds the images');
  const r: RunResult = await run(binary, [...buildahStorage(), ...args]);
  if (r.code !== 0)
    throw new Error(`${what} failed (buildah ${args.join(' ')}):\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/**
 * `buildah bud` of `file` in `context` into image `tag`, then its OCI archive at `archive`. Only
 * local images: FROM names one built here (`--pull=never`), never a registry.
 */
export async function budToArchive(o: {
  tag: string;
  file: string;
  context: string;
  archive: string;
  buildArgs?: Record<string, string>;
}): Promise<void> {
  await buildah(
    [
      'bud',
      '--isolation',
      'chroot',
      '--pull=never',
      '--quiet',
      ...registryTrustVolumes(),
      ...Object.entries(o.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      '--tag',
      o.tag,
      '--file',
      o.file,
      o.context,
    ],
    `building ${o.tag} from ${o.file}`,
  );
  await pushArchive(o.tag, o.archive);
}

/** Writes image `ref` as an OCI archive (what `ctr images import` reads) at `file`. */
export async function pushArchive(ref: string, file: string): Promise<void> {
  await buildah(['push', '--quiet', ref, `oci-archive:${file}:${ref}`], `writing ${ref} to ${file}`);
}

/**
 * `RUN` steps reach the npm registry through this host's TLS setup: where the host trusts extra
 * CAs (NODE_EXTRA_CA_CERTS, e.g. a proxy of the registries), they and an npmrc naming them
 * (`cafile`) are mounted over the base image's two empty files /usr/local/etc/npmrc and
 * /usr/local/etc/npm-ca.pem for the build only, so no layer keeps them. The Dockerfile is
 * unchanged; `docker build` elsewhere needs none of this.
 */
export function registryTrustVolumes(): string[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (!extra || !existsSync(extra)) return [];
  const dir = join(cacheRoot(), 'buildah', 'build-config');
  mkdirSync(dir, { recursive: true });
  const npmrc = join(dir, 'npmrc');
  writeFileSync(npmrc, 'cafile=/usr/local/etc/npm-ca.pem\n');
  return [
    '--volume',
    `${npmrc}:/usr/local/etc/npmrc:ro`,
    '--volume',
    `${extra}:/usr/local/etc/npm-ca.pem:ro`,
  ];
}
