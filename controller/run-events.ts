/**
 * Events and metrics for runs: RunStarted when a run's pod starts, RunSucceeded, RunFailed (with
 * why) and RunStopped when it ends, RunNotStarted when its pod is stuck. Each run ends once in the
 * history, so it is counted once; a run first seen long after it ended (the history of Jobs that
 * existed before this release, or while the controller was down) is recorded but not reported.
 */
import type { KubeObject } from '../shared/kube/client.js';
import type { Run } from '../shared/schemas/run.js';
import type { ControllerContext } from './context.js';
import { runMessage } from './run-status.js';
import type { RunChange } from './runs.js';

/** Ended longer ago than this when first seen: recorded, not reported. */
const REPORT_WINDOW_MS = 10 * 60_000;

const ended = (run: Run) => run.result === 'Succeeded' || run.result === 'Failed' || run.result === 'Stopped';

function stale(change: RunChange, now: number): boolean {
  if (change.before) return false;
  const at = Date.parse(change.run.completionTime ?? '');
  return Number.isFinite(at) && now - at > REPORT_WINDOW_MS;
}

export function reportRuns(ctx: ControllerContext, aj: KubeObject, changes: readonly RunChange[]): void {
  const namespace = aj.metadata?.namespace ?? '';
  const target = {
    name: aj.metadata?.name ?? '',
    namespace,
    uid: aj.metadata?.uid ?? '',
    resourceVersion: aj.metadata?.resourceVersion,
  };
  const now = ctx.now().getTime();
  for (const change of changes) {
    if (stale(change, now)) continue;
    const { run, before } = change;
    if (run.startTime && !before?.startTime)
      ctx.events.record(
        target,
        'Normal',
        'RunStarted',
        `run ${run.jobName} started (${run.trigger ?? 'Create'})`,
      );
    if (run.result === 'Pending' && run.reason && run.reason !== before?.reason && run.reason !== 'Suspended')
      ctx.events.record(target, 'Warning', 'RunNotStarted', runMessage(run) ?? run.reason);
    if (!ended(run) || before?.result === run.result) continue;
    const [type, reason] =
      run.result === 'Succeeded'
        ? (['Normal', 'RunSucceeded'] as const)
        : run.result === 'Failed'
          ? (['Warning', 'RunFailed'] as const)
          : (['Normal', 'RunStopped'] as const);
    ctx.events.record(target, type, reason, runMessage(run) ?? `run ${run.jobName} ${run.result}`);
    count(ctx, namespace, run);
  }
}

function count(ctx: ControllerContext, namespace: string, run: Run): void {
  const m = ctx.metrics;
  m.runs.inc({ namespace, result: run.result });
  const seconds = (Date.parse(run.completionTime ?? '') - Date.parse(run.startTime ?? '')) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0)
    m.runSeconds.observe({ namespace, result: run.result }, seconds);
  const out = run.outputs;
  if (out?.costUsd !== undefined) m.runCost.inc({ namespace }, out.costUsd);
  if (out?.inputTokens !== undefined) m.runInputTokens.inc({ namespace }, out.inputTokens);
  if (out?.outputTokens !== undefined) m.runOutputTokens.inc({ namespace }, out.outputTokens);
}
