/** The local cluster's certificates: one CA, the API server's serving cert, a client cert per identity. */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, type Issued, issueCertificate } from '../../certs/pki.js';
import { REAL_NODE_NAME } from './node/constants.js';

export interface Identity {
  /** File stem, e.g. `admin` gives admin.crt and admin.key. */
  file: string;
  user: string;
  groups: string[];
}

/** Standard identities: the controller-manager and scheduler users are bound by bootstrap RBAC. */
export const IDENTITIES: Identity[] = [
  { file: 'admin', user: 'thurkube-admin', groups: ['system:masters'] },
  { file: 'kube-controller-manager', user: 'system:kube-controller-manager', groups: [] },
  { file: 'kube-scheduler', user: 'system:kube-scheduler', groups: [] },
  { file: 'kwok', user: 'kwok-controller', groups: ['system:masters'] },
  // The real node's kubelet, authorized by the Node authorizer for its own node and pods.
  { file: 'kubelet', user: `system:node:${REAL_NODE_NAME}`, groups: ['system:nodes'] },
  // The API server calling kubelets (logs, exec): bound to system:kubelet-api-admin at start.
  { file: 'apiserver-kubelet-client', user: 'kube-apiserver-kubelet-client', groups: [] },
];

export interface ClusterPki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  saKey: string;
  saPub: string;
  /** The kubelet's serving certificate (localhost, 127.0.0.1): the API server verifies it. */
  kubeletServing: { cert: string; key: string };
  /** The OCI registry's serving certificate (localhost, 127.0.0.1): helm, buildah, containerd verify it. */
  registryServing: { cert: string; key: string };
  client(file: string): { cert: string; key: string };
}

function write(dir: string, stem: string, issued: Issued): { cert: string; key: string } {
  const cert = join(dir, `${stem}.crt`);
  const key = join(dir, `${stem}.key`);
  writeFileSync(cert, issued.certPem);
  writeFileSync(key, issued.keyPem, { mode: 0o600 });
  return { cert, key };
}

export function writeClusterPki(dir: string): ClusterPki {
  const ca = createCa({ commonName: 'thurkube-local-ca', validityDays: 30 });
  const caFiles = write(dir, 'ca', ca);
  const apiserver = write(
    dir,
    'apiserver',
    issueCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
      ipAddresses: ['127.0.0.1', '10.96.0.1'],
      usage: 'server',
      validityDays: 30,
    }),
  );
  const kubeletServing = write(
    dir,
    'kubelet-serving',
    issueCertificate(ca, {
      commonName: `system:node:${REAL_NODE_NAME}`,
      dnsNames: ['localhost', REAL_NODE_NAME],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validityDays: 30,
    }),
  );
  const registryServing = write(
    dir,
    'registry-serving',
    issueCertificate(ca, {
      commonName: 'thurkube-local-registry',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validityDays: 30,
    }),
  );
  const clients = new Map<string, { cert: string; key: string }>();
  for (const id of IDENTITIES) {
    clients.set(
      id.file,
      write(
        dir,
        id.file,
        issueCertificate(ca, {
          commonName: id.user,
          organizations: id.groups,
          usage: 'client',
          validityDays: 30,
        }),
      ),
    );
  }
  // The service-account token signing pair: a key, no certificate.
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  writeFileSync(saKey, sa.privateKey, { mode: 0o600 });
  writeFileSync(saPub, sa.publicKey);
  return {
    caCert: caFiles.cert,
    caKey: caFiles.key,
    apiserverCert: apiserver.cert,
    apiserverKey: apiserver.key,
    saKey,
    saPub,
    kubeletServing,
    registryServing,
    client(file) {
      const c = clients.get(file);
      if (!c) throw new Error(`no client certificate ${file}`);
      return c;
    },
  };
}
