/**
 * Where the admission server gets its serving certificate. A source may change the certificate at
 * any time (renewal, a rewritten file); the server swaps its TLS context in place when told, so
 * no connection is refused and no restart is needed.
 */
export interface ServingCertificate {
  /** PEM, leaf first, then intermediates if any. */
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateSource {
  /** The certificate to serve now; undefined until the first one is loaded. */
  current(): ServingCertificate | undefined;
  /** Called after every change of `current()`. */
  onChange(listener: (cert: ServingCertificate) => void): void;
  /** True while `current()` is valid at this moment; feeds /readyz. */
  healthy(now?: Date): boolean;
  /** Loads the first certificate, then keeps it fresh until `signal` aborts. */
  start(signal: AbortSignal): Promise<void>;
}
