import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../shared/time.js';
import { certFlagsFrom } from './flags.js';
import { execute, serviceDnsNames } from './issue.js';
import {
  ANNOTATION_GENERATION,
  ANNOTATION_NEXT_CA_PUBLISHED,
  ANNOTATION_NEXT_CA_TRUSTED,
  secretFor,
  stateFromSecret,
} from './state.js';

const now = new Date();
const options = {
  commonName: 'svc.ns.svc',
  dnsNames: serviceDnsNames('svc', 'ns'),
  ipAddresses: [],
  caLifetimeMs: 30 * DAY_MS,
  leafLifetimeMs: 3 * DAY_MS,
};
const state = await execute({ action: 'issue', reason: 'test' }, undefined, options, now);
const at = { name: 'thurkube-admission-tls', namespace: 'thurkube-system' };

describe('the certificate Secret', () => {
  it('is a kubernetes.io/tls Secret with the usual keys, the CA key and the trust bundle', async () => {
    const secret = secretFor(state, at);
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data ?? {}).sort()).toEqual([
      'ca-bundle.crt',
      'ca.crt',
      'ca.key',
      'tls.crt',
      'tls.key',
    ]);
    expect(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString()).toBe(state.leaf.certPem);
    expect(secret.metadata.annotations).toEqual({ [ANNOTATION_GENERATION]: '1' });
    expect(secret.metadata.resourceVersion).toBeUndefined();
  });

  it('reads back to the same state, a rotation in progress included', async () => {
    expect(stateFromSecret(secretFor(state, at))).toEqual({ state });
    const rotating = await execute({ action: 'publish-next-ca', reason: 'test' }, state, options, now);
    const secret = secretFor(rotating, { ...at, resourceVersion: '42' });
    expect(secret.metadata.resourceVersion).toBe('42');
    expect(secret.metadata.annotations?.[ANNOTATION_NEXT_CA_PUBLISHED]).toBe(now.toISOString());
    expect(stateFromSecret(secret)).toEqual({ state: rotating });
    expect(secret.metadata.annotations?.[ANNOTATION_NEXT_CA_TRUSTED]).toBeUndefined();
    const seenAt = new Date(now.getTime() + 5_000);
    const trusted = { ...rotating, nextCaTrustedSince: seenAt };
    const noted = secretFor(trusted, at);
    expect(noted.metadata.annotations?.[ANNOTATION_NEXT_CA_TRUSTED]).toBe(seenAt.toISOString());
    expect(stateFromSecret(noted)).toEqual({ state: trusted });
    // An unreadable moment counts as not seen yet, so the overlap is never cut short.
    noted.metadata.annotations = { ...noted.metadata.annotations, [ANNOTATION_NEXT_CA_TRUSTED]: 'soon' };
    expect(stateFromSecret(noted).state?.nextCaTrustedSince).toBeUndefined();
  });

  it('says why a Secret cannot be used: a missing key, or a key that belongs to another certificate', async () => {
    const secret = secretFor(state, at);
    const { 'ca.key': _, ...withoutCaKey } = secret.data ?? {};
    expect(stateFromSecret({ ...secret, data: withoutCaKey })).toEqual({
      problem: 'CA: ca.crt or ca.key is missing',
    });
    const swapped = { ...secret.data, 'tls.key': secret.data?.['ca.key'] ?? '' };
    expect(stateFromSecret({ ...secret, data: swapped })).toEqual({
      problem: 'serving certificate: tls.key does not match tls.crt',
    });
    const garbage = { ...secret.data, 'tls.crt': Buffer.from('not a certificate').toString('base64') };
    expect(stateFromSecret({ ...secret, data: garbage }).problem).toMatch(
      /^serving certificate: tls.crt\/tls.key cannot be read/,
    );
  });
});

describe('certificate flags', () => {
  it('are absent without --cert-secret', async () => {
    expect(certFlagsFrom({ listen: '0.0.0.0:8443' })).toBeUndefined();
  });

  it('need the namespace and the Service name with --cert-secret', async () => {
    expect(() => certFlagsFrom({ 'cert-secret': 'tls', 'service-name': '' })).toThrow(
      '--cert-secret also needs --cert-namespace and --service-name (a non-empty value)',
    );
  });

  it('read every value, the repeatable extra names included', async () => {
    expect(
      certFlagsFrom({
        'cert-secret': 'thurkube-admission-tls',
        'cert-namespace': 'thurkube-system',
        'service-name': 'thurkube-admission',
        'webhook-configuration': 'thurkube-admission',
        'cert-extra-san': ['127.0.0.1', 'localhost'],
      }),
    ).toEqual({
      secretName: 'thurkube-admission-tls',
      namespace: 'thurkube-system',
      serviceName: 'thurkube-admission',
      webhookConfigurationName: 'thurkube-admission',
      extraHosts: ['127.0.0.1', 'localhost'],
    });
  });
});
