/**
 * `kubectl thurkube why`: everything that explains an AgentJob's phase on one screen, as a pure
 * function of what was read (the AgentJob, its references, its latest run, events about them).
 */

import { oneLine } from '../shared/results.js';
import { humanDuration } from '../shared/time.js';
import type { AgentJob, CoreEvent } from './agentjobs.js';
import { eventTime } from './agentjobs.js';
import { table } from './format.js';
import { countsLine, describeRun, type RunView } from './run-view.js';

export interface ReferenceCheck {
  /** `runtimeRef`, `mcpServerRefs[1]`. */
  field: string;
  kind: string;
  name: string;
  /** `ok`, `missing`, or what is wrong with it, e.g. its Secret lacks the key. */
  state: string;
}

export interface WhyView {
  aj: AgentJob;
  references: ReferenceCheck[];
  run?: RunView;
  events: CoreEvent[];
}

/** Messages are cut here: one line each, however long the controller or the kubelet wrote. */
const MESSAGE_WIDTH = 240;
/** Most recent events shown: enough for the story of the last runs, still one screen. */
export const EVENTS_SHOWN = 10;

const age = (iso: string | undefined, now: number) => {
  const t = Date.parse(iso ?? '');
  return Number.isFinite(t) ? humanDuration((now - t) / 1000) : '';
};

/** What a person can do about it, when the phase says something is wrong. */
function nextStep(view: WhyView): string | undefined {
  const { aj } = view;
  const where = `-n ${aj.metadata.namespace}`;
  const missing = view.references.filter((r) => r.state === 'missing');
  if (missing.length > 0)
    return `create ${missing.map((r) => `${r.kind} "${r.name}"`).join(', ')} in namespace ${aj.metadata.namespace}; the AgentJob goes on by itself once ${missing.length > 1 ? 'they exist' : 'it exists'}`;
  if (aj.spec.suspend)
    return `resume it: kubectl patch agentjob ${aj.metadata.name} ${where} --type merge -p '{"spec":{"suspend":false}}'`;
  const run = view.run?.run;
  if (run?.result === 'Failed') return `read its log: kubectl thurkube logs ${aj.metadata.name} ${where}`;
  if (run?.result === 'Pending' && run.reason && view.run?.pod)
    return `its pod waits (${run.reason}): kubectl describe pod ${view.run.pod} ${where}`;
  return undefined;
}

export function formatWhy(view: WhyView, now = Date.now()): string {
  const { aj } = view;
  const status = aj.status ?? {};
  const lines: string[] = [];
  const phase = status.phase ?? 'not reconciled yet (is the controller running?)';
  lines.push(
    `AgentJob ${aj.metadata.namespace}/${aj.metadata.name}: ${phase}${status.message ? `: ${status.message}` : ''}`,
  );
  const stale =
    status.observedGeneration !== undefined &&
    aj.metadata.generation !== undefined &&
    status.observedGeneration < aj.metadata.generation;
  if (stale)
    lines.push(
      `  the controller has not seen its latest spec yet (generation ${aj.metadata.generation}, observed ${status.observedGeneration})`,
    );
  const suspended = aj.spec.suspend ? ', suspended' : '';
  lines.push(
    aj.spec.schedule
      ? `  schedule "${aj.spec.schedule}" (${aj.spec.timezone})${suspended}`
      : `  one-shot${suspended}`,
  );
  const step = nextStep(view);
  if (step) lines.push(`  next step: ${step}`);

  lines.push('', 'References:');
  lines.push(
    ...table(
      ['FIELD', 'KIND', 'NAME', 'STATE'],
      view.references.map((r) => [r.field, r.kind, r.name, r.state]),
      '  ',
    ),
  );

  lines.push('', 'Conditions:');
  const conditions = status.conditions ?? [];
  if (conditions.length === 0) lines.push('  none yet');
  else
    lines.push(
      ...table(
        ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
        conditions.map((c) => [
          c.type,
          c.status,
          c.reason ?? '',
          age(c.lastTransitionTime, now),
          oneLine(c.message ?? '', MESSAGE_WIDTH),
        ]),
        '  ',
      ),
    );

  lines.push('', 'Last run:');
  lines.push(`  ${view.run ? describeRun(view.run, now) : 'none yet'}`);
  if (view.run?.pod && view.run.run.result !== 'Running') lines.push(`  pod ${view.run.pod}`);
  if (view.run) lines.push(`  ${countsLine(aj, now)}`);

  lines.push('', 'Events:');
  const events = view.events.slice(-EVENTS_SHOWN);
  if (events.length === 0) lines.push('  none');
  else
    lines.push(
      ...table(
        ['AGE', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
        events.map((e) => [
          humanDuration((now - eventTime(e)) / 1000),
          e.type ?? '',
          e.reason ?? '',
          `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}`,
          `${oneLine(e.message ?? '', MESSAGE_WIDTH)}${(e.series?.count ?? e.count ?? 1) > 1 ? ` (x${e.series?.count ?? e.count})` : ''}`,
        ]),
        '  ',
      ),
    );
  return `${lines.join('\n')}\n`;
}
