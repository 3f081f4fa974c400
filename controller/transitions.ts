/** Events for what changed in one reconcile: children written, references, runs. */
import type { KubeObject } from '../shared/kube/client.js';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import { conditionOf } from './conditions.js';
import type { ControllerContext } from './context.js';

type Emit = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/**
 * The event a new phase gets: its type, reason and the message when the status has none. Runs
 * have their own events, one per run (run-events.ts).
 */
const PHASE_EVENTS: Partial<Record<string, ['Normal' | 'Warning', string, string]>> = {
  Suspended: ['Normal', 'Suspended', 'suspended'],
};

export function recordTransitions(
  ctx: ControllerContext,
  aj: KubeObject,
  before: AgentJobStatus | undefined,
  after: AgentJobStatus,
  changes: string[] = [],
  runNowSkipped?: string,
  runNowSkippedWhy = 'the AgentJob is suspended',
): void {
  const target = {
    name: aj.metadata?.name ?? '',
    namespace: aj.metadata?.namespace ?? '',
    uid: aj.metadata?.uid ?? '',
    resourceVersion: aj.metadata?.resourceVersion,
  };
  const record: Emit = ctx.events.record.bind(ctx.events, target);
  if (changes.length > 0) record('Normal', 'Applied', changes.join('; '));
  referenceEvents(record, before, after);
  readyEvent(record, before, after);
  const phase = before?.phase !== after.phase ? PHASE_EVENTS[after.phase ?? ''] : undefined;
  if (phase) record(phase[0], phase[1], after.message ?? phase[2]);
  if (runNowSkipped)
    record('Warning', 'RunNowSkipped', `run-now "${runNowSkipped}" ignored: ${runNowSkippedWhy}`);
  else if (after.handledRunNow && after.handledRunNow !== before?.handledRunNow) {
    record('Normal', 'RunNow', `started a run for run-now "${after.handledRunNow}"`);
  }
}

function referenceEvents(record: Emit, before: AgentJobStatus | undefined, after: AgentJobStatus) {
  const refsBefore = conditionOf(before?.conditions, 'RefsResolved');
  const refsAfter = conditionOf(after.conditions, 'RefsResolved');
  if (refsAfter?.status === 'False' && refsAfter.message !== refsBefore?.message) {
    record('Warning', refsAfter.reason ?? 'RefsMissing', refsAfter.message ?? '');
  }
  if (refsAfter?.status === 'True' && refsBefore?.status === 'False')
    record('Normal', 'RefsResolved', 'every reference exists');
}

/** Not ready for a reason other than references (those have their own event), said once. */
function readyEvent(record: Emit, before: AgentJobStatus | undefined, after: AgentJobStatus) {
  const ready = conditionOf(after.conditions, 'Ready');
  if (
    ready?.status === 'False' &&
    ready.reason !== 'RefsMissing' &&
    ready.reason !== 'RefsInvalid' &&
    ready.message !== conditionOf(before?.conditions, 'Ready')?.message
  ) {
    record('Warning', ready.reason ?? 'NotReady', ready.message ?? '');
  }
}
