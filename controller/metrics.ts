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
    ...runMetrics(registry),
  };
}

/** Runs of agents (run-events.ts counts each run once, when it ends). */
export const RUN_DURATION_BUCKETS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];

function runMetrics(registry: Registry) {
  return {
    runs: registry.counter(
      'thurkube_agentjob_runs_total',
      'Agent runs that ended, by namespace and result (Succeeded, Failed, Stopped).',
    ),
    runSeconds: registry.histogram(
      'thurkube_agentjob_run_duration_seconds',
      'How long agent runs took, from start to end, by namespace and result.',
      RUN_DURATION_BUCKETS,
    ),
    runCost: registry.counter(
      'thurkube_agentjob_cost_usd_total',
      'Cost in US dollars that runs reported (outputs.costUsd), by namespace.',
    ),
    runInputTokens: registry.counter(
      'thurkube_agentjob_input_tokens_total',
      'Model input tokens that runs reported (outputs.inputTokens), by namespace.',
    ),
    runOutputTokens: registry.counter(
      'thurkube_agentjob_output_tokens_total',
      'Model output tokens that runs reported (outputs.outputTokens), by namespace.',
    ),
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
