/**
 * SecretCertificateSource against the real API server: the Secret, the caBundle of both webhook
 * configurations, replicas racing at start, and renewals (a CA rotation included) while an HTTPS
 * server on 127.0.0.1 keeps answering clients that trust only what the caBundle says.
 *
 * The webhook configurations here are built by shared/webhooks.ts under unique names, with a
 * namespaceSelector no namespace matches: the cluster is shared with other suites, and the API
 * server must never call these webhooks.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCert, signedBy, splitPems } from '../../certs/inspect.js';
import { SecretCertificateSource, type SecretSourceOptions } from '../../certs/secret-source.js';
import { type SecretObject, stateFromSecret } from '../../certs/state.js';
import { injectCaBundle, WEBHOOK_CONFIGURATION_TYPES, webhooksTrust } from '../../certs/webhook-ca.js';
import { KubeClient } from '../../shared/kube/client.js';
import { connectionFromKubeconfig } from '../../shared/kube/config.js';
import { RESOURCES } from '../../shared/kube/resources.js';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../shared/webhooks.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
const client = new KubeClient(connectionFromKubeconfig(cluster.kubeconfig));
const SERVICE = 'thurkube-admission';
let ns = '';
const configNames: string[] = [];
const stops: { controller: AbortController; source: SecretCertificateSource }[] = [];

/** Both webhook configurations under a fresh name, inert: their selector matches no namespace. */
async function newWebhookConfigurations(): Promise<string> {
  const name = `thurkube-certs-${randomBytes(3).toString('hex')}`;
  const target = {
    name,
    service: { name: SERVICE, namespace: ns, port: 443 },
    excludeNamespaces: ['kube-system', ns],
  };
  const inert = { matchLabels: { 'thurkube-test/never': name } };
  const mutating = mutatingWebhookConfiguration(target);
  const validating = validatingWebhookConfiguration(target);
  for (const w of [...(mutating.webhooks ?? []), ...(validating.webhooks ?? [])])
    w.namespaceSelector = { ...w.namespaceSelector, ...inert };
  configNames.push(name);
  await cluster.admissionreg.createMutatingWebhookConfiguration({ body: mutating });
  await cluster.admissionreg.createValidatingWebhookConfiguration({ body: validating });
  return name;
}

function startSource(
  options: Partial<SecretSourceOptions> & { secretName: string },
): SecretCertificateSource {
  const source = new SecretCertificateSource({ client, namespace: ns, serviceName: SERVICE, ...options });
  const controller = new AbortController();
  stops.push({ controller, source });
  void source.start(controller.signal).catch(() => undefined);
  return source;
}

const loaded = (source: SecretCertificateSource) =>
  eventually('a certificate', () => source.current(), 60_000);

const readSecret = (name: string) => client.get<SecretObject>(RESOURCES.secrets, { namespace: ns, name });

/** The caBundle of every webhook in both configurations, decoded. */
async function caBundles(name: string): Promise<string[]> {
  const bundles: string[] = [];
  for (const type of WEBHOOK_CONFIGURATION_TYPES) {
    const live = await client.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(type, { name });
    for (const w of live.webhooks)
      bundles.push(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString());
  }
  return bundles;
}

beforeAll(async () => {
  ns = await cluster.newNamespace('certs');
});

afterAll(async () => {
  for (const { controller } of stops) controller.abort();
  await Promise.all(stops.map(({ source }) => source.stopped));
  await Promise.all(
    configNames.flatMap((name) => [
      cluster.admissionreg.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined),
      cluster.admissionreg.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined),
    ]),
  );
  await cluster.deleteNamespaces();
});

describe('SecretCertificateSource on a real cluster', () => {
  it('creates the Secret and puts its CA into every webhook of both configurations', async () => {
    const webhooks = await newWebhookConfigurations();
    const source = startSource({ secretName: 'first-tls', webhookConfigurationName: webhooks });
    const served = await loaded(source);
    expect(source.healthy()).toBe(true);

    const secret = await readSecret('first-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    const stored = stateFromSecret(secret).state;
    expect(stored?.leaf.certPem).toBe(served.certPem);
    expect(parseCert(served.certPem).dnsNames).toEqual([
      SERVICE,
      `${SERVICE}.${ns}`,
      `${SERVICE}.${ns}.svc`,
      `${SERVICE}.${ns}.svc.cluster.local`,
    ]);

    const bundles = await eventually('both configurations to carry the caBundle', async () => {
      const all = await caBundles(webhooks);
      return all.every((b) => b !== '') ? all : undefined;
    });
    // mutate, validate and runners: every webhook of both configurations.
    expect(bundles).toHaveLength(3);
    for (const bundle of bundles) {
      const cas = splitPems(bundle);
      expect(cas).toHaveLength(1);
      expect(signedBy(served.certPem, cas[0] ?? '')).toBe(true);
    }
    expect(await webhooksTrust(client, webhooks, stored?.ca.certPem ?? '')).toBe(true);
  });

  it('serves one and the same certificate from three replicas that start at once', async () => {
    const replicas = [1, 2, 3].map(() => startSource({ secretName: 'race-tls' }));
    const served = await Promise.all(replicas.map(loaded));
    const secret = stateFromSecret(await readSecret('race-tls')).state;
    for (const cert of served) expect(cert.certPem).toBe(secret?.leaf.certPem);
  });

  it('replaces a Secret it cannot use', async () => {
    await client.create(RESOURCES.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'broken-tls', namespace: ns },
      data: {
        'tls.crt': Buffer.from('junk').toString('base64'),
        'tls.key': Buffer.from('junk').toString('base64'),
      },
    });
    const served = await loaded(startSource({ secretName: 'broken-tls' }));
    expect(stateFromSecret(await readSecret('broken-tls')).state?.leaf.certPem).toBe(served.certPem);
  });

  it('never lets an older bundle generation replace a newer caBundle', async () => {
    const webhooks = await newWebhookConfigurations();
    const newer = await injectCaBundle(client, webhooks, 'NEW', { uid: 'u1', generation: 2 });
    expect(newer).toEqual({
      MutatingWebhookConfiguration: 'patched',
      ValidatingWebhookConfiguration: 'patched',
    });
    const stale = await injectCaBundle(client, webhooks, 'OLD', { uid: 'u1', generation: 1 });
    expect(stale).toEqual({ MutatingWebhookConfiguration: 'newer', ValidatingWebhookConfiguration: 'newer' });
    expect(await caBundles(webhooks)).toEqual(['NEW', 'NEW', 'NEW']);
    // A new Secret (another uid) starts its generations afresh and does replace it.
    await injectCaBundle(client, webhooks, 'FRESH', { uid: 'u2', generation: 1 });
    expect(await caBundles(webhooks)).toEqual(['FRESH', 'FRESH', 'FRESH']);
  });

  it('renews leaves and rotates the CA while an HTTPS server keeps answering clients that trust the caBundle', async () => {
    const webhooks = await newWebhookConfigurations();
    const short = {
      secretName: 'rotating-tls',
      webhookConfigurationName: webhooks,
      // Seconds, not days; still long beside an issuance (two RSA keys, about a second on a busy machine).
      leafLifetimeMs: 15_000,
      caLifetimeMs: 36_000,
      // Counted from the moment a replica read the next CA in both configurations: longer than this
      // process (busy with the sources too) can take from reading the bundle to the handshake.
      overlapMs: 3_000,
      pollIntervalMs: 500,
    };
    // Two replicas: the one behind the server, and another that may win any renewal race.
    const source = startSource(short);
    startSource(short);
    const first = await loaded(source);
    const server: Server = createServer({ cert: first.certPem, key: first.keyPem }, (_req, res) =>
      res.end('ok'),
    );
    source.onChange((cert) => server.setSecureContext({ cert: cert.certPem, key: cert.keyPem }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    // The source serves its first certificate a moment before it patches the caBundle; the API server
    // calls nobody before that either. Renewals and rotations are what this test is about.
    await eventually('the first CA in the caBundle', async () =>
      (await caBundles(webhooks)).every((b) => splitPems(b).some((ca) => signedBy(first.certPem, ca))),
    );

    const seen = { ok: 0, failures: [] as string[], serials: new Set<string>(), issuers: new Set<string>() };
    const deadline = Date.now() + 46_000;
    try {
      while (Date.now() < deadline) {
        // As the API server does: trust exactly the caBundle of the webhook configuration, now.
        const [bundle] = await caBundles(webhooks);
        const outcome = await get(port, bundle ?? '', `${SERVICE}.${ns}.svc`);
        if (typeof outcome === 'string') seen.failures.push(outcome);
        else {
          seen.ok += 1;
          seen.serials.add(outcome.serial);
          seen.issuers.add(outcome.issuer);
        }
        expect(source.healthy()).toBe(true);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      server.close();
    }
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(50);
    // 46 s with 15 s leaves renewed at 2/3 (5 s to spare on a loaded machine), and a 36 s CA rotated
    // at 2/3: several leaves, two CAs or more.
    expect(seen.serials.size).toBeGreaterThanOrEqual(4);
    expect(seen.issuers.size).toBeGreaterThanOrEqual(2);
    // Once the first CA expired, it left the bundle.
    const bundle = splitPems((await caBundles(webhooks))[0] ?? '');
    for (const ca of bundle) expect(parseCert(ca).notAfter.getTime()).toBeGreaterThan(Date.now());
  });
});

/** One HTTPS GET on 127.0.0.1, verified against `caPem` under the Service's DNS name. */
function get(
  port: number,
  caPem: string,
  servername: string,
): Promise<{ serial: string; issuer: string } | string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', ca: caPem, servername, agent: false, timeout: 5_000 },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        res.resume();
        res.on('end', () =>
          resolve(
            res.statusCode === 200
              ? { serial: peer.serialNumber, issuer: peer.issuer.CN }
              : `HTTP ${res.statusCode}`,
          ),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}
