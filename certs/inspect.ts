/**
 * Reading certificates back with Node's own X.509 parser (OpenSSL), not with the library that
 * wrote them: what we check is what a TLS peer will see.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Validity } from './renewal.js';

export interface CertInfo extends Validity {
  dnsNames: string[];
  ipAddresses: string[];
  serialNumber: string;
  fingerprint256: string;
  x509: X509Certificate;
}

export function parseCert(pem: string): CertInfo {
  const x509 = new X509Certificate(pem);
  const alt = (x509.subjectAltName ?? '').split(', ').filter(Boolean);
  const pick = (prefix: string) => alt.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length));
  return {
    // validFrom/validTo are OpenSSL's "Nov 24 10:00:00 2026 GMT", which Date parses (Node 20 has no *Date getters).
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    dnsNames: pick('DNS:'),
    ipAddresses: pick('IP Address:'),
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
    x509,
  };
}

/** True when `caPem` issued `certPem` and its signature verifies with the CA's key. */
export function signedBy(certPem: string, caPem: string): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** True when the private key belongs to the certificate. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, each normalised to end with one newline. */
export function splitPems(bundle: string): string[] {
  return (bundle.match(PEM_BLOCK) ?? []).map((pem) => `${pem}\n`);
}

export function joinPems(pems: string[]): string {
  return pems.map((p) => `${p.trim()}\n`).join('');
}

/** Same certificate, whatever the line endings and surrounding white space. */
export function samePem(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}
