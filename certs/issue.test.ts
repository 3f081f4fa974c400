/**
 * The issued certificates, read back by Node's OpenSSL parser and used in a real TLS handshake on
 * 127.0.0.1: names, usages, validity, chain and serials are checked for what they mean.
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../shared/time.js';
import { parseCert, signedBy } from './inspect.js';
import { execute, type IssueOptions, serviceDnsNames, splitHosts } from './issue.js';

const now = new Date('2026-03-01T12:00:00Z');
const options: IssueOptions = {
  commonName: 'thurkube-admission.thurkube-system.svc',
  dnsNames: serviceDnsNames('thurkube-admission', 'thurkube-system'),
  ipAddresses: ['127.0.0.1'],
  caLifetimeMs: 365 * DAY_MS,
  leafLifetimeMs: 30 * DAY_MS,
};
const issued = await execute({ action: 'issue', reason: 'test' }, undefined, options, now);
const leaf = new X509Certificate(issued.leaf.certPem);
const ca = new X509Certificate(issued.ca.certPem);
const forgeLeaf = forge.pki.certificateFromPem(issued.leaf.certPem);
const forgeCa = forge.pki.certificateFromPem(issued.ca.certPem);
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

describe('serving certificate', () => {
  it('names exactly the four DNS names of the Service plus the extra IP', async () => {
    expect(serviceDnsNames('svc', 'ns')).toEqual(['svc', 'svc.ns', 'svc.ns.svc', 'svc.ns.svc.cluster.local']);
    expect(leaf.subjectAltName).toBe(
      'DNS:thurkube-admission, DNS:thurkube-admission.thurkube-system, DNS:thurkube-admission.thurkube-system.svc, ' +
        'DNS:thurkube-admission.thurkube-system.svc.cluster.local, IP Address:127.0.0.1',
    );
    expect(leaf.subject).toBe('CN=thurkube-admission.thurkube-system.svc');
    expect(leaf.checkHost('thurkube-admission.thurkube-system.svc')).toBe(
      'thurkube-admission.thurkube-system.svc',
    );
    expect(leaf.checkHost('other.thurkube-system.svc')).toBeUndefined();
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('is a server certificate only: not a CA, digitalSignature + keyEncipherment, EKU serverAuth', async () => {
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual([SERVER_AUTH]);
    const usage = forgeLeaf.getExtension('keyUsage') as Record<string, boolean>;
    expect(usage.critical).toBe(true);
    expect(usage.digitalSignature).toBe(true);
    expect(usage.keyEncipherment).toBe(true);
    expect(usage.keyCertSign).toBe(false);
    const basic = forgeLeaf.getExtension('basicConstraints') as { cA: boolean; critical: boolean };
    expect(basic).toMatchObject({ cA: false, critical: true });
  });

  it('is valid from a few minutes before issuing for exactly its lifetime, at second precision', async () => {
    const info = parseCert(issued.leaf.certPem);
    expect(info.notBefore.toISOString()).toBe('2026-03-01T11:55:00.000Z');
    expect(info.notAfter.toISOString()).toBe('2026-03-31T12:00:00.000Z');
  });

  it('is signed by its CA and by no other', async () => {
    expect(signedBy(issued.leaf.certPem, issued.ca.certPem)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.issuer).toBe(ca.subject);
    const stranger = await execute({ action: 'issue', reason: 'test' }, undefined, options, now);
    expect(signedBy(issued.leaf.certPem, stranger.ca.certPem)).toBe(false);
    expect(leaf.verify(new X509Certificate(stranger.ca.certPem).publicKey)).toBe(false);
  });

  it('never outlives its CA', async () => {
    const late = new Date(now.getTime() + 350 * DAY_MS);
    const renewed = await execute({ action: 'renew-leaf', reason: 'test' }, issued, options, late);
    expect(parseCert(renewed.leaf.certPem).notAfter.getTime()).toBe(
      parseCert(issued.ca.certPem).notAfter.getTime(),
    );
  });
});

describe('CA', () => {
  it('is a self-signed CA that may sign certificates, valid for its lifetime', async () => {
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    const usage = forgeCa.getExtension('keyUsage') as Record<string, boolean>;
    expect(usage.keyCertSign).toBe(true);
    expect(usage.cRLSign).toBe(true);
    const info = parseCert(issued.ca.certPem);
    expect(info.notAfter.getTime() - now.getTime()).toBe(365 * DAY_MS);
  });

  it('writes subject and issuer names that strict parsers accept as PrintableString (Go rejects "@")', async () => {
    // Regression: a CA named thurkube-admission-ca@<time> made the API server refuse the caBundle.
    const printable = /^[A-Za-z0-9 '()+,\-./:=?]+$/;
    for (const cert of [ca, leaf]) {
      for (const name of [cert.subject, cert.issuer]) {
        for (const line of name.split('\n')) expect(line.split('=')[1], line).toMatch(printable);
      }
    }
  });

  it('backdates short-lived certificates by a tenth of their lifetime, not by minutes', async () => {
    const short = await execute(
      { action: 'issue', reason: 'test' },
      undefined,
      { ...options, leafLifetimeMs: 60_000 },
      now,
    );
    const info = parseCert(short.leaf.certPem);
    expect(info.notBefore.toISOString()).toBe('2026-03-01T11:59:54.000Z');
    expect(info.notAfter.toISOString()).toBe('2026-03-01T12:01:00.000Z');
  });
});

describe('serial numbers', () => {
  it('are 128 random bits, positive, and never repeat', { timeout: 60_000 }, async () => {
    const leaves = await Promise.all(
      Array.from({ length: 10 }, () =>
        execute({ action: 'renew-leaf', reason: 'test' }, issued, options, now),
      ),
    );
    // OpenSSL prints serials without leading zero bytes: pad back to 16 bytes.
    const serials = [issued.ca.certPem, ...leaves.map((s) => s.leaf.certPem)].map((pem) =>
      parseCert(pem).serialNumber.padStart(32, '0'),
    );
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9A-F]{32}$/);
      // Positive, as RFC 5280 requires: the top bit is clear.
      expect(Number.parseInt(serial.slice(0, 2), 16)).toBeLessThan(0x80);
    }
    // Random, not counting: about half of the bits are set (a counter leaves long runs of zeros).
    const bits = serials.map((s) => BigInt(`0x${s}`).toString(2).padStart(128, '0')).join('');
    const ones = bits.split('').filter((b) => b === '1').length / bits.length;
    expect(ones).toBeGreaterThan(0.4);
    expect(ones).toBeLessThan(0.6);
  });
});

// Issued for the real clock: OpenSSL checks validity against the time of the handshake.
const fresh = await execute({ action: 'issue', reason: 'test' }, undefined, options, new Date());

describe('a real TLS handshake on 127.0.0.1', () => {
  const handshake = async (caPem: string, servername: string) => {
    const server = createServer({ cert: fresh.leaf.certPem, key: fresh.leaf.keyPem }, (socket) =>
      socket.end(),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      return await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername }, () => {
          resolve('verified');
          socket.end();
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
    } finally {
      server.close();
    }
  };

  it('verifies the chain and the Service name with the CA as the only trust anchor', async () => {
    expect(await handshake(fresh.ca.certPem, 'thurkube-admission.thurkube-system.svc')).toBe('verified');
    expect(await handshake(fresh.ca.certPem, 'thurkube-admission.thurkube-system.svc.cluster.local')).toBe(
      'verified',
    );
  });

  it('is refused under another name or with another CA', async () => {
    expect(await handshake(fresh.ca.certPem, 'evil.thurkube-system.svc')).toBe(
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    expect(await handshake(issued.ca.certPem, 'thurkube-admission.thurkube-system.svc')).toBe(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
  });
});

describe('splitHosts', () => {
  it('tells IP addresses from DNS names', async () => {
    expect(splitHosts(['127.0.0.1', 'localhost', '::1'])).toEqual({
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
  });
});
