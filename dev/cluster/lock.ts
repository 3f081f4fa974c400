/** A lock between processes of this machine: a directory holding the owner's pid. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function acquireLock(path: string, log: (line: string) => void): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(path, 'pid'), 'utf8'));
      } catch {}
      if (owner && !alive(owner)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another build (pid ${owner || '?'}) to finish`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
