/**
 * Certificates with node-forge: a CA and the leaves it signs. Keys come from Node's native RSA
 * generator (forge's pure-JS one takes seconds); forge builds and signs the X.509 structures.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

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
}

const DAY_MS = 86_400_000;
/** Tolerates small clock differences between the issuer and the verifier. */
const BACKDATE_MS = 5 * 60_000;

function newKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem: privateKey };
}

/** 128 random bits, positive as RFC 5280 requires. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(
  now: Date,
  days: number,
  backdateMs = BACKDATE_MS,
  notAfterCap?: Date,
): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(now.getTime() - backdateMs);
  let notAfter = new Date(now.getTime() + days * DAY_MS);
  if (notAfterCap && notAfter > notAfterCap) notAfter = new Date(notAfterCap.getTime());
  return { notBefore, notAfter };
}

export function createCa(options: CaOptions): Issued {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  const { notBefore, notAfter } = validity(
    options.now ?? new Date(),
    options.validityDays,
    options.backdateMs,
  );
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem, notBefore, notAfter };
}

export function issueCertificate(ca: Pick<Issued, 'certPem' | 'keyPem'>, options: LeafOptions): Issued {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  const { notBefore, notAfter } = validity(
    options.now ?? new Date(),
    options.validityDays,
    options.backdateMs,
    caCert.validity.notAfter,
  );
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
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
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem, notBefore, notAfter };
}

/** Public half of a private key, PEM (SubjectPublicKeyInfo). */
export function publicKeyPem(keyPem: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return forge.pki.publicKeyToPem(forge.pki.setRsaPublicKey(key.n, key.e));
}

/** A fresh RSA key pair, PEM, e.g. for service-account token signing. */
export function newRsaKeyPem(): string {
  return newKeyPair().pem;
}
