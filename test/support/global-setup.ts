/**
 * vitest globalSetup for the suites that need a cluster: one cluster per test run, shared by every
 * file, each file isolated in its own namespaces. With THURKUBE_TEST_KUBECONFIG set (e.g. a kind
 * cluster, see dev/cluster/kind.ts) the suites use that cluster and start nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type Binaries, ensureBinaries } from '../../dev/cluster/binaries.js';
import { startCluster, stopCluster } from '../../dev/cluster/cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    binaries: Binaries;
    /** true when the suites run on a cluster they did not start (kind): fewer assumptions. */
    externalCluster: boolean;
  }
}

const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

export default async function setup(project: TestProject) {
  const external = process.env.THURKUBE_TEST_KUBECONFIG;
  if (external) {
    project.provide('kubeconfig', external);
    project.provide('binaries', await ensureBinaries(log));
    project.provide('externalCluster', true);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'thurkube-test-'));
  const state = await startCluster({ dir, log, owner: process.pid });
  project.provide('kubeconfig', state.kubeconfig);
  project.provide('binaries', state.binaries);
  project.provide('externalCluster', false);
  return async () => {
    await stopCluster(state);
  };
}
