/** Events for what changed in one reconcile: children written, references, runs. */
import type { KubeObject } from '../shared/kube/client.js';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import { conditionOf } from './conditions.js';
import type { ControllerContext } from './context.js';

export function recordTransitions(
  ctx: ControllerContext,
  aj: KubeObject,
  before: AgentJobStatus | undefined,
  after: AgentJobStatus,
  changes: string[] = [],
  runNowSkipped?: string,
): void {
  const target = {
    name: aj.metadata?.name ?? '',
    namespace: aj.metadata?.namespace ?? '',
    uid: aj.metadata?.uid ?? '',
    resourceVersion: aj.metadata?.resourceVersion,
  };
  const record = ctx.events.record.bind(ctx.events, target);
  if (changes.length > 0) record('Normal', 'Applied', changes.join('; '));

  const refsBefore = conditionOf(before?.conditions, 'RefsResolved');
  const refsAfter = conditionOf(after.conditions, 'RefsResolved');
  if (refsAfter?.status === 'False' && refsAfter.message !== refsBefore?.message) {
    record('Warning', refsAfter.reason ?? 'RefsMissing', refsAfter.message ?? '');
  }
  if (refsAfter?.status === 'True' && refsBefore?.status === 'False')
    record('Normal', 'RefsResolved', 'every reference exists');

  const ready = conditionOf(after.conditions, 'Ready');
  if (
    ready?.status === 'False' &&
    ready.reason !== 'RefsMissing' &&
    ready.reason !== 'RefsInvalid' &&
    ready.message !== conditionOf(before?.conditions, 'Ready')?.message
  ) {
    record('Warning', ready.reason ?? 'NotReady', ready.message ?? '');
  }
  if (before?.phase !== after.phase) {
    if (after.phase === 'Running') record('Normal', 'RunStarted', after.message ?? 'a run started');
    if (after.phase === 'Succeeded') record('Normal', 'RunSucceeded', after.message ?? 'the run succeeded');
    if (after.phase === 'Failed') record('Warning', 'RunFailed', after.message ?? 'the run failed');
    if (after.phase === 'Suspended') record('Normal', 'Suspended', after.message ?? 'suspended');
  }
  if (runNowSkipped)
    record('Warning', 'RunNowSkipped', `run-now "${runNowSkipped}" ignored: the AgentJob is suspended`);
  else if (after.handledRunNow && after.handledRunNow !== before?.handledRunNow) {
    record('Normal', 'RunNow', `started a run for run-now "${after.handledRunNow}"`);
  }
}
