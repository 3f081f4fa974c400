/**
 * Stops a cluster when the process that started it is gone, however it went (Ctrl-C, SIGTERM to
 * its process group, a closed terminal, SIGKILL). It runs detached, in a process group of its own,
 * so what kills its owner's group does not kill it; it exits once the cluster's state directory
 * is gone (a normal stop removes it).
 *
 *   node --import tsx dev/cluster/watchdog.ts <state dir> <owner pid>
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../shared/time.js';
import { readState, stopCluster } from './cluster.js';
import { isAlive } from './processes.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Starts the watchdog of `dir` for `owner` (default: this process); returns its pid. */
export function startWatchdog(dir: string, owner = process.pid): number {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const fd = openSync(join(dir, 'logs', 'watchdog.log'), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'watchdog.ts'), dir, String(owner)], {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: join(HERE, '..', '..'),
  });
  closeSync(fd);
  child.unref();
  return child.pid ?? 0;
}

async function watch(dir: string, owner: number): Promise<void> {
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  // Signals meant for the owner's group never reach this group; ignore the terminal's hang-up.
  process.on('SIGHUP', () => {});
  log(`watching ${dir} for pid ${owner}`);
  while (existsSync(dir)) {
    if (!isAlive(owner)) {
      const state = readState(dir);
      log(`pid ${owner} is gone: stopping the cluster it left (${state?.processes.length ?? 0} processes)`);
      if (state) await stopCluster(state);
      log('stopped');
      return;
    }
    await sleep(500);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, owner] = process.argv.slice(2);
  if (!dir || !owner) {
    console.error('usage: watchdog.ts <state dir> <owner pid>');
    process.exitCode = 2;
  } else {
    await watch(dir, Number(owner));
  }
}
