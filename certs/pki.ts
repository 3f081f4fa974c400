/**
 * Certificates with node-forge: a CA and the leaves it signs. Keys come from Node's native RSA
 * generator (forge's pure-JS one takes seconds), or from the caller (`newRsaKeyPemAsync` makes one
 * off the event loop); forge builds the X.509 structures and Node's OpenSSL signs them (forge's
 * pure-JS RSA takes hundreds of milliseconds, during which a server answers nothing).
 */
import { generateKeyPair, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { DAY_MS } from '../shared/time.js';

export interface Issued {
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CaOptions {
  commonName: string;
  validityDays: number;
  now?: Date;
  /** How far notBefore lies in the past; 5 minutes unless set (short-lived test certificates want less). */
  backdateMs?: number;
  /** The certificate's private key (PKCS#1 PEM); a new one is generated when unset. */
  keyPem?: string;
}

export type Usage = 'server' | 'client' | 'server-and-client';

export interface LeafOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: Usage;
  validityDays: number;
  now?: Date;
  backdateMs?: number;
  keyPem?: string;
}

/** Tolerates small clock differences between the issuer and the verifier. */
const BACKDATE_MS = 5 * 60_000;

const RSA_OPTIONS = {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
} as const;

function newKeyPair(pem = generateKeyPairSync('rsa', RSA_OPTIONS).privateKey): {
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} {
  const key = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem };
}

/** A new RSA key (PKCS#1 PEM), generated in libuv's thread pool: the event loop keeps running. */
export async function newRsaKeyPemAsync(): Promise<string> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', RSA_OPTIONS);
  return privateKey;
}

/**
 * Signs with OpenSSL: forge calls `sign` once it has built the TBSCertificate, so we sign its DER
 * (SHA-256 with RSA, PKCS#1 v1.5: what forge itself would produce, in a few milliseconds).
 */
function signCertificate(cert: forge.pki.Certificate, keyPem: string): void {
  const signer = {
    sign: () => {
      const tbs = forge.asn1.toDer(cert.tbsCertificate).getBytes();
      return sign('sha256', Buffer.from(tbs, 'binary'), keyPem).toString('binary');
    },
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

/** 128 random bits, positive as RFC 5280 requires. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** A certificate with a new serial, its key (given or new) and its validity window; no names yet. */
function newCertificate(options: CaOptions | LeafOptions, notAfterCap?: Date) {
  const keys = newKeyPair(options.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  const now = (options.now ?? new Date()).getTime();
  const notBefore = new Date(now - (options.backdateMs ?? BACKDATE_MS));
  let notAfter = new Date(now + options.validityDays * DAY_MS);
  if (notAfterCap && notAfter > notAfterCap) notAfter = new Date(notAfterCap.getTime());
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return { cert, keys, notBefore, notAfter };
}

export function createCa(options: CaOptions): Issued {
  const { cert, keys, notBefore, notAfter } = newCertificate(options);
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, keys.pem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem, notBefore, notAfter };
}

export function issueCertificate(ca: Pick<Issued, 'certPem' | 'keyPem'>, options: LeafOptions): Issued {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const { cert, keys, notBefore, notAfter } = newCertificate(options, caCert.validity.notAfter);
  const subject: forge.pki.CertificateField[] = [{ name: 'commonName', value: options.commonName }];
  for (const o of options.organizations ?? []) subject.push({ name: 'organizationName', value: o });
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  const extensions: unknown[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: options.usage !== 'client',
      clientAuth: options.usage !== 'server',
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions as forge.pki.CertificateField[]);
  signCertificate(cert, ca.keyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem, notBefore, notAfter };
}
