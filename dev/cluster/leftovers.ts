/**
 * Clusters left by a starter that died with its watchdog (SIGKILL to both, a machine that lost
 * power): state directories `<tmp>/<prefix>*` of this checkout whose owner is gone. Other
 * checkouts' clusters, and any whose owner still runs, are never touched.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKOUT, type ClusterState, readState, stopCluster } from './cluster.js';
import { isAlive } from './processes.js';

export function leftoverClusters(prefix: string, root = tmpdir()): ClusterState[] {
  const out: ClusterState[] = [];
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith(prefix)) continue;
    let state: ClusterState | undefined;
    try {
      state = readState(join(root, entry));
    } catch {
      continue;
    }
    if (!state?.owner || state.owner.checkout !== CHECKOUT) continue;
    if (isAlive(state.owner.pid) || isAlive(state.owner.watchdogPid)) continue;
    out.push(state);
  }
  return out;
}

/** Stops and removes each leftover cluster; returns what it cleaned, for the terminal. */
export async function cleanLeftovers(prefix: string, log: (line: string) => void): Promise<number> {
  const leftovers = leftoverClusters(prefix);
  for (const state of leftovers) {
    const alive = state.processes.filter((p) => isAlive(p.pid)).length;
    log(
      `cleaning up after a run that was killed (pid ${state.owner?.pid}): ${alive} processes left in ${state.dir}`,
    );
    await stopCluster(state);
  }
  return leftovers.length;
}
