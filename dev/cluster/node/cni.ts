/**
 * The pod network: a bridge with host-local addresses and no route anywhere. `isGateway: false`
 * gives the bridge no address, so the host has no route to the pods and the pods none out (no
 * default route, no masquerade). Agent pods need no network; the chart's pods use the host's
 * (hostNetwork, loopback only). The bridge's name and the IPAM state are this node's own.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A bridge name (≤ 15 characters) unique to one node's directory. */
export function bridgeName(dir: string): string {
  return `tk${createHash('sha256').update(dir).digest('hex').slice(0, 10)}`;
}

export function cniConfig(o: { bridge: string; ipamDir: string; subnet?: string }) {
  return {
    cniVersion: '1.0.0',
    name: 'thurkube-isolated',
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: false,
        ipam: {
          type: 'host-local',
          dataDir: o.ipamDir,
          ranges: [[{ subnet: o.subnet ?? '10.244.0.0/24' }]],
          routes: [],
        },
      },
    ],
  };
}

/** Writes the configuration into `confDir` and returns its path. */
export function writeCniConfig(confDir: string, o: { bridge: string; ipamDir: string }): string {
  mkdirSync(confDir, { recursive: true });
  mkdirSync(o.ipamDir, { recursive: true });
  const file = join(confDir, '10-thurkube.conflist');
  writeFileSync(file, JSON.stringify(cniConfig(o), null, 2));
  return file;
}
