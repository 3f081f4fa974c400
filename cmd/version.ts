/**
 * The version line of `thurkube --version`, from the package.json the code ships with: found by
 * walking up from this file, which is `cmd/` from source and `dist/cmd/` in the image (both have
 * the package.json one or two folders up).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function versionLine(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'thurkube' && pkg.version) return `thurkube ${pkg.version}`;
    }
    if (dirname(dir) === dir) return 'thurkube (version unknown: no package.json found)';
  }
}
