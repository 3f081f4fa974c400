/** Carries out a plan: makes the keys and certificates it calls for and returns the new state. */
import { isIP } from 'node:net';
import { DAY_MS } from '../shared/time.js';
import { samePem } from './inspect.js';
import { createCa, issueCertificate, newRsaKeyPemAsync } from './pki.js';
import type { Plan } from './plan.js';
import { trustedWith } from './plan.js';
import type { CertState, KeyPair } from './state.js';

const MAX_BACKDATE_MS = 5 * 60_000;

export interface IssueOptions {
  /** Subject CN of the leaf, e.g. `thurkube-admission.thurkube-system.svc`. */
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  caLifetimeMs: number;
  leafLifetimeMs: number;
}

/** The names a client may use for a Service: `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.<domain>`. */
export function serviceDnsNames(
  service: string,
  namespace: string,
  clusterDomain = 'cluster.local',
): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ];
}

/** Splits extra subject alternative names into DNS names and IP addresses. */
export function splitHosts(hosts: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  return {
    dnsNames: hosts.filter((h) => isIP(h) === 0),
    ipAddresses: hosts.filter((h) => isIP(h) !== 0),
  };
}

/**
 * Backdating absorbs clock differences between replicas and the API server; it is capped at a
 * tenth of the lifetime so that seconds-long test certificates keep their 2/3 renewal point.
 */
/** forge writes CRLF; the Secret, the bundle and comparisons use LF throughout. */
const lf = (pem: string) => pem.replace(/\r\n/g, '\n');

const backdate = (lifetimeMs: number) => Math.min(MAX_BACKDATE_MS, lifetimeMs / 10);

async function newCa(options: IssueOptions, now: Date): Promise<KeyPair> {
  const ca = createCa({
    keyPem: await newRsaKeyPemAsync(),
    // forge writes names as PrintableString, which has no '@' or '_': Go's parser (the API server's)
    // rejects the whole caBundle otherwise. The time tells CAs apart in logs and issuers.
    commonName: `thurkube-admission-ca-${Math.floor(now.getTime() / 1000)}`,
    validityDays: options.caLifetimeMs / DAY_MS,
    backdateMs: backdate(options.caLifetimeMs),
    now,
  });
  return { certPem: lf(ca.certPem), keyPem: ca.keyPem };
}

async function newLeaf(ca: KeyPair, options: IssueOptions, now: Date): Promise<KeyPair> {
  const leaf = issueCertificate(ca, {
    keyPem: await newRsaKeyPemAsync(),
    commonName: options.commonName,
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    usage: 'server',
    validityDays: options.leafLifetimeMs / DAY_MS,
    backdateMs: backdate(options.leafLifetimeMs),
    now,
  });
  return { certPem: lf(leaf.certPem), keyPem: leaf.keyPem };
}

/** Makes what `step` calls for; keys are generated off the event loop. */
export async function execute(
  step: Exclude<Plan, { action: 'keep' }>,
  state: CertState | undefined,
  options: IssueOptions,
  now: Date,
): Promise<CertState> {
  if (step.action === 'issue' || !state) {
    const ca = await newCa(options, now);
    return {
      ca,
      leaf: await newLeaf(ca, options, now),
      trusted: [ca.certPem],
      generation: (state?.generation ?? 0) + 1,
    };
  }
  return withGeneration(state, await next(step.action, state, options, now));
}

async function next(
  action: Exclude<Plan['action'], 'keep' | 'issue'>,
  state: CertState,
  options: IssueOptions,
  now: Date,
): Promise<CertState> {
  switch (action) {
    case 'renew-leaf':
      return { ...state, leaf: await newLeaf(state.ca, options, now) };
    case 'publish-next-ca': {
      const nextCa = await newCa(options, now);
      const trusted = trustedWith(state.trusted, [state.ca.certPem, nextCa.certPem], now);
      return { ...state, nextCa, nextCaPublishedAt: now, trusted };
    }
    case 'promote-next-ca': {
      const ca = state.nextCa ?? (await newCa(options, now));
      return {
        ca,
        leaf: await newLeaf(ca, options, now),
        trusted: trustedWith(state.trusted, [ca.certPem], now),
        generation: state.generation,
      };
    }
    case 'note-next-ca-trusted':
      return { ...state, nextCaTrustedSince: now };
    case 'note-next-ca-untrusted': {
      const { nextCaTrustedSince: _, ...rest } = state;
      return rest;
    }
    case 'prune-trusted':
      return { ...state, trusted: trustedWith(state.trusted, [], now) };
  }
}

/** A new generation exactly when the trust bundle changed. */
function withGeneration(before: CertState, after: CertState): CertState {
  const same =
    before.trusted.length === after.trusted.length &&
    before.trusted.every((pem, i) => samePem(pem, after.trusted[i] ?? ''));
  return { ...after, generation: same ? before.generation : before.generation + 1 };
}
