/** The controller's Prometheus metrics. */
import type { KubeObject } from '../shared/kube/client.js';
import type { WatchCache } from '../shared/kube/watch-cache.js';
import { Registry } from '../shared/metrics.js';

/** Every result a reconcile can have. */
export const RECONCILE_RESULTS = ['success', 'requeue', 'invalid', 'error'] as const;

export function controllerMetrics() {
  const registry = new Registry().withProcessMetrics();
  const reconciles = registry.counter(
    'thurkube_controller_reconcile_total',
    'Reconciles of AgentJobs, by result.',
  );
  // Each result exists from the start at 0, so rate() and increase() see its first reconciles: a
  // series that appears already at 1 shows no increase, and an error ratio would have no errors.
  for (const result of RECONCILE_RESULTS) reconciles.inc({ result }, 0);
  return {
    registry,
    reconciles,
    reconcileSeconds: registry.histogram(
      'thurkube_controller_reconcile_duration_seconds',
      'Time one reconcile took.',
    ),
    queueDepth: registry.gauge(
      'thurkube_controller_workqueue_depth',
      'AgentJob keys waiting to be reconciled.',
    ),
    queueWait: registry.histogram(
      'thurkube_controller_workqueue_queue_duration_seconds',
      'Time a key waited before a worker took it.',
    ),
    applies: registry.counter('thurkube_controller_applies_total', 'Server-side applies sent, by kind.'),
    deletes: registry.counter('thurkube_controller_deletes_total', 'Deletions sent, by kind.'),
    statusWrites: registry.counter(
      'thurkube_controller_status_writes_total',
      'AgentJob status updates sent.',
    ),
    requests: registry.counter(
      'thurkube_controller_kube_requests_total',
      'Requests to the Kubernetes API, by verb and HTTP code.',
    ),
    leader: registry.gauge('thurkube_controller_leader', '1 while this replica holds the leader lease.'),
    watchRestarts: registry.counterFunc(
      'thurkube_controller_watch_restarts_total',
      'Watches restarted after an error, by resource.',
    ),
    watchRelists: registry.counterFunc(
      'thurkube_controller_watch_relists_total',
      'Full relists after 410 Gone, by resource.',
    ),
    watchLastEvent: registry.gauge(
      'thurkube_controller_watch_last_event_timestamp_seconds',
      'When each watch last received an event or bookmark.',
    ),
    cacheObjects: registry.gauge('thurkube_controller_cache_objects', 'Objects held in each watch cache.'),
  };
}

export type ControllerMetrics = ReturnType<typeof controllerMetrics>;

export function observeCaches(metrics: ControllerMetrics, caches: WatchCache<KubeObject>[]): void {
  for (const cache of caches) {
    const labels = { resource: cache.name };
    metrics.watchRestarts.set(labels, () => cache.health.restarts);
    metrics.watchRelists.set(labels, () => cache.health.relists);
    metrics.watchLastEvent.set(labels, () => (cache.health.lastEventAt ?? 0) / 1000);
    metrics.cacheObjects.set(labels, () => cache.size);
  }
}
