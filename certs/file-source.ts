/**
 * A serving certificate read from two PEM files (a mounted Secret, cert-manager, the chart's own
 * issuer) and reloaded when they change, without a restart. Changes are seen two ways, as
 * cert-manager's dynamic source does: fs.watch on the directories (Secret volumes swap a symlink,
 * so watching the files themselves would lose track after the first update) and a poll, because
 * watches miss events on some file systems. A half-written pair (new cert, old key) is not taken:
 * the key must match the certificate, otherwise the previous pair stays until the next try.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ThurkubeError } from '../shared/errors.js';
import type { CertificateSource, ServingCertificate } from './source.js';

export interface FileSourceOptions {
  certFile: string;
  keyFile: string;
  /** How often the files are read again even without a watch event. */
  pollIntervalMs?: number;
  /** Told when a reload fails (the previous certificate stays in use). */
  onError?: (message: string) => void;
}

/** Waits for a burst of events (a Secret update touches several entries) to end before reading. */
const SETTLE_MS = 100;

export async function readCertificate(certFile: string, keyFile: string): Promise<ServingCertificate> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw new ThurkubeError('Invalid', `${certFile} holds no PEM certificate`, { cause: error });
  }
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    throw new ThurkubeError('Invalid', `${keyFile} holds no PEM private key`, { cause: error });
  }
  if (!matches)
    throw new ThurkubeError('Invalid', `the key in ${keyFile} does not match the certificate in ${certFile}`);
  return { certPem, keyPem, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

export class FileCertificateSource implements CertificateSource {
  private cert?: ServingCertificate;
  private readonly listeners: ((cert: ServingCertificate) => void)[] = [];

  constructor(private readonly options: FileSourceOptions) {}

  current(): ServingCertificate | undefined {
    return this.cert;
  }

  onChange(listener: (cert: ServingCertificate) => void): void {
    this.listeners.push(listener);
  }

  healthy(now = new Date()): boolean {
    return this.cert !== undefined && this.cert.notBefore <= now && now < this.cert.notAfter;
  }

  /** Reads the files now; true when a new certificate was taken. Never throws. */
  async reload(): Promise<boolean> {
    let next: ServingCertificate;
    try {
      next = await readCertificate(this.options.certFile, this.options.keyFile);
    } catch (error) {
      this.options.onError?.(
        `reloading the serving certificate failed, keeping the previous one: ${(error as Error).message}`,
      );
      return false;
    }
    if (this.cert && this.cert.certPem === next.certPem && this.cert.keyPem === next.keyPem) return false;
    this.cert = next;
    for (const listener of this.listeners) listener(next);
    return true;
  }

  /** Loads the first certificate (and fails if it cannot), then watches until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const { certFile, keyFile, pollIntervalMs = 10_000 } = this.options;
    this.cert = await readCertificate(certFile, keyFile);
    let settle: NodeJS.Timeout | undefined;
    const soon = () => {
      clearTimeout(settle);
      settle = setTimeout(() => void this.reload(), SETTLE_MS);
    };
    const watchers: FSWatcher[] = [];
    for (const dir of new Set([dirname(certFile), dirname(keyFile)])) {
      try {
        watchers.push(watch(dir, { persistent: false }, soon).on('error', () => undefined));
      } catch {
        // No watch on this file system: the poll below still sees changes.
      }
    }
    const poll = setInterval(() => void this.reload(), pollIntervalMs);
    poll.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(poll);
        clearTimeout(settle);
        for (const w of watchers) w.close();
      },
      { once: true },
    );
  }
}
