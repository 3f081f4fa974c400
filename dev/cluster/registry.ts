/**
 * The local control plane's OCI registry: the CNCF distribution registry (pinned Go module,
 * dev/cluster/go/registry) on 127.0.0.1, serving HTTPS with a certificate of the cluster's CA, its
 * blobs under the cluster's directory. The release path pushes the image and the chart to it, and
 * the real node's containerd pulls from it, trusting that CA (node/containerd.ts).
 *
 * TLS rather than plain HTTP: helm talks plain HTTP to an OCI registry only with `--plain-http` on
 * every command, which would make the install differ from the one users type; with the CA trusted
 * (SSL_CERT_FILE or `--ca-file` for helm, `--cert-dir` for buildah, hosts.toml for containerd)
 * every tool verifies the registry as it verifies GHCR.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterPki } from './pki.js';
import { freePorts } from './ports.js';
import { type Started, waitReady } from './processes.js';

export interface RegistryState {
  /** `127.0.0.1:PORT`: what image references and `oci://` URLs name. */
  host: string;
  /** The CA that signed its serving certificate (the cluster's CA). */
  caFile: string;
  /** Its blobs and repositories. */
  storage: string;
  /** Its log: one JSON line per event, and the access log (who pulled what). */
  log: string;
}

export function registryConfig(o: { port: number; storage: string; cert: string; key: string }) {
  return {
    version: 0.1,
    log: { level: 'info', formatter: 'json', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: o.storage },
      delete: { enabled: true },
      // Nothing here is long-lived enough for purging to matter; it would only add a timer.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${o.port}`,
      // Signs upload state; without one the registry makes one up and warns about it.
      secret: randomBytes(16).toString('hex'),
      tls: { certificate: o.cert, key: o.key },
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    health: { storagedriver: { enabled: false } },
  };
}

export async function startRegistry(o: {
  dir: string;
  binary: string;
  pki: ClusterPki;
  start(name: string, binary: string, args: string[], env?: Record<string, string>): Started;
}): Promise<RegistryState> {
  const [port = 0] = await freePorts(1);
  const dir = join(o.dir, 'registry');
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    stringify(
      registryConfig({ port, storage, cert: o.pki.registryServing.cert, key: o.pki.registryServing.key }),
    ),
  );
  // It exports traces by OTLP to localhost:4318 unless told not to: nothing of ours listens there.
  const proc = o.start('registry', o.binary, ['serve', config], { OTEL_TRACES_EXPORTER: 'none' });
  const host = `127.0.0.1:${port}`;
  await waitReady(proc, { url: `https://${host}/v2/`, ca: readFileSync(o.pki.caCert, 'utf8') });
  return { host, caFile: o.pki.caCert, storage, log: proc.log };
}
