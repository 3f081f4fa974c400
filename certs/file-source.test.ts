import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCertificateSource } from './file-source.js';
import { createCa, type Issued, issueCertificate } from './pki.js';

const ca = createCa({ commonName: 'test CA', validityDays: 2 });
const leaf = (now?: Date) =>
  issueCertificate(ca, {
    commonName: 'svc',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validityDays: 1,
    now,
  });
const serial = (pem: string) => new X509Certificate(pem).serialNumber;

let dir = '';
let stop: AbortController;
const files = () => ({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') });
const write = (cert: Issued, key = cert) => {
  writeFileSync(files().keyFile, key.keyPem);
  writeFileSync(files().certFile, cert.certPem);
};
const until = async (check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-source-'));
  stop = new AbortController();
});
afterEach(() => {
  stop.abort();
  rmSync(dir, { recursive: true, force: true });
});

describe('FileCertificateSource', () => {
  it('fails to start without readable files', async () => {
    const source = new FileCertificateSource(files());
    await expect(source.start(stop.signal)).rejects.toThrow(/ENOENT/);
    expect(source.current()).toBeUndefined();
    expect(source.healthy()).toBe(false);
  });

  it('loads the pair, with its validity, and is healthy while it is valid', async () => {
    const first = leaf();
    write(first);
    const source = new FileCertificateSource(files());
    await source.start(stop.signal);
    expect(source.current()).toMatchObject({ certPem: first.certPem, keyPem: first.keyPem });
    expect(source.current()?.notAfter.getTime()).toBe(
      new Date(new X509Certificate(first.certPem).validTo).getTime(),
    );
    expect(source.healthy()).toBe(true);
    expect(source.healthy(new Date(Date.now() + 3 * 86_400_000))).toBe(false);
  });

  it('sees the files change (a watch event) and tells its listeners once', async () => {
    write(leaf());
    const source = new FileCertificateSource({ ...files(), pollIntervalMs: 60_000 });
    await source.start(stop.signal);
    const seen: string[] = [];
    source.onChange((cert) => seen.push(serial(cert.certPem)));
    const next = leaf();
    write(next);
    await until(() => seen.length > 0);
    expect(seen).toEqual([serial(next.certPem)]);
    expect(source.current()?.certPem).toBe(next.certPem);
  });

  it('keeps the previous pair while the key does not match the certificate', async () => {
    const first = leaf();
    write(first);
    const errors: string[] = [];
    const source = new FileCertificateSource({ ...files(), onError: (m) => errors.push(m) });
    await source.start(stop.signal);
    write(leaf(), first);
    expect(await source.reload()).toBe(false);
    expect(source.current()?.certPem).toBe(first.certPem);
    expect(errors.at(-1)).toMatch(/the key in .*tls.key does not match the certificate/);
  });

  it('finds a change by polling, and a rewrite with the same content is no change', async () => {
    const first = leaf();
    write(first);
    const source = new FileCertificateSource({ ...files(), pollIntervalMs: 50 });
    await source.start(stop.signal);
    let changes = 0;
    source.onChange(() => {
      changes += 1;
    });
    write(first);
    expect(await source.reload()).toBe(false);
    const next = leaf();
    write(next);
    await until(() => source.current()?.certPem === next.certPem);
    expect(changes).toBe(1);
  });
});
