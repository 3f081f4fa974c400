/** What a cluster test file needs: clients, the built kubectl, fresh namespaces, polling. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Binaries } from '../../dev/cluster/binaries.js';
import { clientsFor, kubeConfigFrom } from '../../dev/cluster/client.js';
import { waitForServiceAccount } from '../../dev/cluster/cluster.js';
import { run } from '../../dev/cluster/run.js';

export { eventually } from './eventually.js';

/** The cluster of this test run (vitest globalSetup). */
export function testCluster() {
  return clusterFrom(inject('kubeconfig'), inject('binaries'));
}

/** Helpers for any cluster given by its kubeconfig, e.g. a private one a suite starts itself. */
export function clusterFrom(kubeconfig: string, binaries: Binaries) {
  const kc = kubeConfigFrom(kubeconfig);
  const clients = clientsFor(kc);
  const created: string[] = [];

  /** kubectl v1.36 from the pinned build, always against the test cluster. */
  const kubectl = (args: string[], input?: string) =>
    run(binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], input);
  const helm = (args: string[]) => run(binaries.helm, ['--kubeconfig', kubeconfig, ...args]);

  async function newNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await clients.core.createNamespace({
      body: { metadata: { name, labels: { 'thurkube-test': 'true', ...labels } } },
    });
    created.push(name);
    await waitForServiceAccount(kubeconfig, name);
    return name;
  }

  async function deleteNamespaces(): Promise<void> {
    await Promise.all(
      created.splice(0).map((name) => clients.core.deleteNamespace({ name }).catch(() => undefined)),
    );
  }

  return { kubeconfig, binaries, ...clients, kubectl, helm, newNamespace, deleteNamespaces };
}
