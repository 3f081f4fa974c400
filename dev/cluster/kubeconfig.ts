import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

const b64 = (path: string) => readFileSync(path).toString('base64');

/** A kubeconfig with embedded certificates for one client identity. */
export function writeKubeconfig(
  path: string,
  options: { server: string; caFile: string; certFile: string; keyFile: string; user: string },
): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'thurkube-local',
        cluster: { server: options.server, 'certificate-authority-data': b64(options.caFile) },
      },
    ],
    users: [
      {
        name: options.user,
        user: { 'client-certificate-data': b64(options.certFile), 'client-key-data': b64(options.keyFile) },
      },
    ],
    contexts: [{ name: 'thurkube-local', context: { cluster: 'thurkube-local', user: options.user } }],
    'current-context': 'thurkube-local',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
