/**
 * Following one run to its end: its Job and pods read every second, a line each time what a
 * person would see changes (Pending, Running, why it waits), and the final result.
 */
import { sleep } from '../shared/time.js';
import { type AgentJob, getJob, podsOf } from './agentjobs.js';
import { describeRun, type RunView, runView } from './run-view.js';
import type { Session } from './session.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const POLL_MS = 1000;

/** Resolves with the finished run, or undefined when `deadline` passed first. */
export async function followRun(
  session: Session,
  aj: AgentJob,
  job: string,
  io: Io,
  deadline = Number.POSITIVE_INFINITY,
): Promise<RunView | undefined> {
  const namespace = aj.metadata.namespace;
  let said = '';
  for (;;) {
    const current = await getJob(session, namespace, job);
    if (!current)
      return {
        run: {
          jobName: job,
          result: 'Stopped',
          reason: 'JobDeleted',
          message: 'stopped: its Job was deleted',
        },
        finished: true,
      };
    const view = runView(aj, current, await podsOf(session, namespace, job));
    // Durations change every second; announce a new state, not a new number.
    const state = `${view.run.result} ${view.run.reason ?? ''} ${view.pod ?? ''}`;
    if (view.finished) return view;
    if (state !== said) {
      io.out(`${describeRun(view)}\n`);
      said = state;
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}
