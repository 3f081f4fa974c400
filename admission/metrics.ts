/** The admission service's Prometheus metrics: reviews by kind, operation and result, and latency. */
import { type Counter, type Histogram, Registry } from '../shared/metrics.js';

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

  observe(kind: string, operation: string, result: Result, seconds: number): void {
    this.requests.inc({ kind, operation, result });
    this.duration.observe({ kind, operation }, seconds);
  }
}
