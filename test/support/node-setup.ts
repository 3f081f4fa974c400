/**
 * vitest globalSetup of the `node` project: its own local control plane with a real node
 * (kubelet, containerd, runc) and an OCI registry it pulls from, and the images built here
 * (dev/images) imported into the node's containerd. Nothing else shares this cluster, so the suites may install the chart as a user
 * would (release `thurkube` in `thurkube-system`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { importImages, type RealNodeState } from '../../dev/cluster/node/node.js';
import type { RegistryState } from '../../dev/cluster/registry.js';
import { ensureImages } from '../../dev/images/images.js';

declare module 'vitest' {
  export interface ProvidedContext {
    realNode: RealNodeState;
    /** The server URL of the API server (https://127.0.0.1:PORT), for in-cluster clients. */
    apiServer: string;
    /** The OCI registry on 127.0.0.1 the real node pulls from (the release path). */
    registry: RegistryState;
  }
}

const log = (line: string) => process.stderr.write(`[node] ${line}\n`);

export default async function setup(project: TestProject) {
  const images = await ensureImages(log);
  const dir = mkdtempSync(join(tmpdir(), 'thurkube-node-test-'));
  const state = await startCluster({ dir, log, realNode: true, registry: true, owner: process.pid });
  try {
    if (!state.realNode || !state.registry)
      throw new Error('the cluster started without its real node or its registry');
    await importImages(state.realNode, [
      images.node.archive,
      images.product.archive,
      images.testAgent.archive,
    ]);
    log(
      'images imported into the node: ' +
        [images.node.ref, images.product.ref, images.testAgent.ref].join(', '),
    );
  } catch (error) {
    await stopCluster(state);
    throw error;
  }
  project.provide('kubeconfig', state.kubeconfig);
  project.provide('binaries', state.binaries);
  project.provide('externalCluster', false);
  project.provide('realNode', state.realNode);
  project.provide('apiServer', state.server);
  project.provide('registry', state.registry);
  return async () => {
    await stopCluster(state);
  };
}
