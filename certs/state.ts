/**
 * What the certificate Secret holds, and the codec between it and a typed state. The Secret is
 * `kubernetes.io/tls` (tls.crt, tls.key, ca.crt as usual) plus the CA's key, so that any replica
 * can renew, the trust bundle published in the webhook configurations, and during a CA rotation
 * the next CA.
 */
import { GROUP } from '../shared/api.js';
import type { KubeObject } from '../shared/kube/client.js';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../shared/labels.js';
import { joinPems, keyMatches, parseCert, splitPems } from './inspect.js';

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface CertState {
  /** The CA that signs the served leaf. */
  ca: KeyPair;
  /** The serving certificate. */
  leaf: KeyPair;
  /** CA certificates the webhook configurations must trust (their caBundle): `ca`, and during a rotation `nextCa` or the previous CA. */
  trusted: string[];
  /** A CA published in `trusted` ahead of use; it signs leaves once every webhook configuration has trusted it for the overlap. */
  nextCa?: KeyPair;
  /** When it was published: a record for whoever reads the Secret; the overlap counts from `nextCaTrustedSince`. */
  nextCaPublishedAt?: Date;
  /** When a replica first read the next CA in every webhook configuration; the overlap counts from here. */
  nextCaTrustedSince?: Date;
  /** Grows whenever `trusted` changes, so that a replica with an older view never overwrites a newer caBundle. */
  generation: number;
}

export const SECRET_KEYS = {
  leafCert: 'tls.crt',
  leafKey: 'tls.key',
  caCert: 'ca.crt',
  caKey: 'ca.key',
  trusted: 'ca-bundle.crt',
  nextCaCert: 'next-ca.crt',
  nextCaKey: 'next-ca.key',
} as const;

export const ANNOTATION_GENERATION = `${GROUP}/ca-bundle-generation`;
export const ANNOTATION_NEXT_CA_PUBLISHED = `${GROUP}/next-ca-published-at`;
export const ANNOTATION_NEXT_CA_TRUSTED = `${GROUP}/next-ca-trusted-since`;

export interface SecretObject extends KubeObject {
  apiVersion: 'v1';
  kind: 'Secret';
  type?: string;
  metadata: NonNullable<KubeObject['metadata']> & { name: string; namespace: string };
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export function secretFor(
  state: CertState,
  at: { name: string; namespace: string; resourceVersion?: string },
): SecretObject {
  const data: Record<string, string> = {
    [SECRET_KEYS.leafCert]: b64(state.leaf.certPem),
    [SECRET_KEYS.leafKey]: b64(state.leaf.keyPem),
    [SECRET_KEYS.caCert]: b64(state.ca.certPem),
    [SECRET_KEYS.caKey]: b64(state.ca.keyPem),
    [SECRET_KEYS.trusted]: b64(joinPems(state.trusted)),
  };
  const annotations: Record<string, string> = { [ANNOTATION_GENERATION]: String(state.generation) };
  if (state.nextCa) {
    data[SECRET_KEYS.nextCaCert] = b64(state.nextCa.certPem);
    data[SECRET_KEYS.nextCaKey] = b64(state.nextCa.keyPem);
    annotations[ANNOTATION_NEXT_CA_PUBLISHED] = (state.nextCaPublishedAt ?? new Date(0)).toISOString();
    if (state.nextCaTrustedSince)
      annotations[ANNOTATION_NEXT_CA_TRUSTED] = state.nextCaTrustedSince.toISOString();
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name: at.name,
      namespace: at.namespace,
      ...(at.resourceVersion ? { resourceVersion: at.resourceVersion } : {}),
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY,
        'app.kubernetes.io/part-of': 'thurkube',
        'app.kubernetes.io/component': 'admission-certificate',
      },
      annotations,
    },
    data,
  };
}

export type Decoded = { state: CertState; problem?: undefined } | { state?: undefined; problem: string };

/** Reads the state back, or says why the Secret cannot be used (then it is replaced as a whole). */
export function stateFromSecret(secret: SecretObject): Decoded {
  const data = secret.data ?? {};
  const text = (key: string) => (data[key] ? unb64(data[key]) : undefined);
  const pair = (certKey: string, keyKey: string, what: string): KeyPair | string => {
    const certPem = text(certKey);
    const keyPem = text(keyKey);
    if (!certPem || !keyPem) return `${what}: ${certKey} or ${keyKey} is missing`;
    try {
      parseCert(certPem);
      return keyMatches(certPem, keyPem)
        ? { certPem, keyPem }
        : `${what}: ${keyKey} does not match ${certKey}`;
    } catch (error) {
      return `${what}: ${certKey}/${keyKey} cannot be read (${(error as Error).message})`;
    }
  };
  const ca = pair(SECRET_KEYS.caCert, SECRET_KEYS.caKey, 'CA');
  if (typeof ca === 'string') return { problem: ca };
  const leaf = pair(SECRET_KEYS.leafCert, SECRET_KEYS.leafKey, 'serving certificate');
  if (typeof leaf === 'string') return { problem: leaf };
  const annotations = secret.metadata.annotations ?? {};
  const generation = Number(annotations[ANNOTATION_GENERATION] ?? '0');
  const trusted = splitPems(text(SECRET_KEYS.trusted) ?? '');
  const state: CertState = {
    ca,
    leaf,
    trusted: trusted.length > 0 ? trusted : [ca.certPem],
    generation: Number.isSafeInteger(generation) && generation > 0 ? generation : 1,
  };
  if (data[SECRET_KEYS.nextCaCert]) {
    const next = pair(SECRET_KEYS.nextCaCert, SECRET_KEYS.nextCaKey, 'next CA');
    // A broken next CA is dropped, not fatal: the rotation simply starts again.
    if (typeof next !== 'string') {
      state.nextCa = next;
      const at = new Date(annotations[ANNOTATION_NEXT_CA_PUBLISHED] ?? 0);
      state.nextCaPublishedAt = Number.isNaN(at.getTime()) ? new Date(0) : at;
      // Unreadable means not seen yet: the overlap then starts at the next look, never earlier.
      const since = new Date(annotations[ANNOTATION_NEXT_CA_TRUSTED] ?? Number.NaN);
      if (!Number.isNaN(since.getTime())) state.nextCaTrustedSince = since;
    }
  }
  return { state };
}
