/**
 * Built images are kept as OCI archives in the thurkube cache (~/.cache/thurkube/images/), named
 * by a key of everything that goes into them, so a change rebuilds and nothing else does. An
 * archive is written beside its final name and renamed, so an interrupted build leaves nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cacheRoot } from '../cluster/binaries.js';
import { acquireLock } from '../cluster/lock.js';

export function imagesDir(): string {
  return join(cacheRoot(), 'images');
}

/** sha256 over names and contents of files (directories walked in a stable order). */
export function contentKey(
  parts: (string | { root: string; paths: string[]; skip?: (rel: string) => boolean })[],
): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    if (typeof part === 'string') {
      hash.update(`s:${part}\0`);
      continue;
    }
    const walk = (path: string) => {
      const rel = relative(part.root, path);
      if (part.skip?.(rel)) return;
      if (statSync(path).isDirectory()) {
        for (const entry of readdirSync(path).sort()) walk(join(path, entry));
        return;
      }
      hash.update(`f:${rel}\0`);
      hash.update(readFileSync(path));
    };
    for (const p of part.paths) walk(join(part.root, p));
  }
  return hash.digest('hex').slice(0, 16);
}

export interface CachedImage {
  ref: string;
  archive: string;
  /** false when this call found it in the cache. */
  built: boolean;
}

/**
 * The archive of image `ref` for `key`; `build(tmpArchive)` writes it when missing. One build at a
 * time per machine (a lock in the cache), so concurrent runs wait instead of building twice.
 */
export async function cachedImage(
  name: string,
  ref: string,
  key: string,
  build: (archive: string) => Promise<void>,
  log: (line: string) => void,
): Promise<CachedImage> {
  const dir = imagesDir();
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `${name}-${key}.oci.tar`);
  if (existsSync(archive)) return { ref, archive, built: false };
  const release = await acquireLock(join(dir, `.${name}.lock`), log);
  try {
    if (existsSync(archive)) return { ref, archive, built: false };
    const partial = `${archive}.partial-${process.pid}`;
    const started = Date.now();
    log(`building image ${ref} (key ${key})`);
    try {
      await build(partial);
      renameSync(partial, archive);
    } finally {
      rmSync(partial, { force: true });
    }
    log(`  ${ref}: built in ${Math.round((Date.now() - started) / 1000)}s into ${archive}`);
    return { ref, archive, built: true };
  } finally {
    release();
  }
}
