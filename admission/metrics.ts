/**
 * The admission service's Prometheus metrics: reviews by kind, operation and result, latency, and
 * when the serving certificate expires.
 */
import type { CertificateSource } from '../certs/source.js';
import { type Counter, type Gauge, type Histogram, Registry } from '../shared/metrics.js';

export type Result = 'allowed' | 'denied' | 'error';

export class AdmissionMetrics {
  readonly registry = new Registry().withProcessMetrics();
  readonly requests: Counter = this.registry.counter(
    'thurkube_admission_requests_total',
    'Admission reviews answered, by kind, operation and result (allowed, denied, error).',
  );
  readonly duration: Histogram = this.registry.histogram(
    'thurkube_admission_request_duration_seconds',
    'Time to answer one admission review, by kind and operation.',
  );

  readonly certificateExpiry: Gauge = this.registry.gauge(
    'thurkube_admission_certificate_expiry_timestamp_seconds',
    'When the serving certificate expires (its notAfter), in seconds since the Unix epoch.',
  );

  /** Reports the certificate served at scrape time, so a renewal shows at once; none before the first. */
  observeCertificate(source: Pick<CertificateSource, 'current'>): void {
    this.certificateExpiry.set({}, () => {
      const cert = source.current();
      return cert ? Math.floor(cert.notAfter.getTime() / 1000) : undefined;
    });
  }

  observe(kind: string, operation: string, result: Result, seconds: number): void {
    this.requests.inc({ kind, operation, result });
    this.duration.observe({ kind, operation }, seconds);
  }
}
