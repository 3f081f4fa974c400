/** The status fields that account for runs: their history, the last success and the counters. */
import * as v from 'valibot';
import { integer, stringList, text, timestamp } from './fields.js';
import { Run } from './run.js';

/** How many runs status.runs keeps unless the controller is told otherwise (--run-history). */
export const DEFAULT_RUN_HISTORY = 10;
/** Each run is at most a few KiB (bounded fields): 50 keep an AgentJob far below what etcd stores. */
export const MAX_RUN_HISTORY = 50;

export const runStatusEntries = {
  runs: v.optional(
    v.pipe(
      v.array(Run),
      v.description(
        `The most recent runs, newest first (${DEFAULT_RUN_HISTORY} unless the controller is started with ` +
          'another --run-history); kept after their Jobs are removed.',
      ),
    ),
  ),
  recentRuns: v.optional(
    stringList(
      'status.runs one line each, newest first, for kubectl describe: start, trigger, result and duration, Job, why.',
      'One run.',
    ),
  ),
  lastSuccessfulTime: v.optional(timestamp('When the most recent successful run finished.')),
  succeededRuns: v.optional(integer('Runs that succeeded since the AgentJob was created.', 0)),
  failedRuns: v.optional(integer('Runs that failed since the AgentJob was created.', 0)),
  runCounts: v.optional(
    text('succeededRuns and failedRuns for kubectl get -o wide, e.g. "12 ok, 1 failed".'),
  ),
};
