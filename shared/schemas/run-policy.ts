/**
 * Run policies of an AgentJob. Each is optional and its default is what the Rust original did
 * (a CronJob with Forbid, 3 successful and 3 failed Jobs kept, no retry), so every manifest written
 * for it keeps its meaning. The defaults are implicit (applied when parsing, never stored): see
 * CrdHints.implicitDefault.
 */
import * as v from 'valibot';
import { implicitDefault, integer } from './fields.js';

export const CONCURRENCY_POLICIES = ['Forbid', 'Allow', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const DEFAULT_CONCURRENCY_POLICY: ConcurrencyPolicy = 'Forbid';
export const DEFAULT_RUNS_HISTORY_LIMIT = 3;
export const DEFAULT_RETRIES = 0;
/** The CronJob controller looks every 10 s; a shorter deadline may never start a run. */
export const MIN_STARTING_DEADLINE_SECONDS = 10;

const defaulted = <S extends v.GenericSchema>(schema: S) => v.pipe(schema, implicitDefault());

export const runPolicyEntries = {
  concurrencyPolicy: v.optional(
    defaulted(
      v.pipe(
        v.picklist(CONCURRENCY_POLICIES, 'must be Forbid, Allow or Replace'),
        v.description(
          'What a scheduled AgentJob does when a run is due (by schedule or run-now) while one is in progress: ' +
            'Forbid (default) skips the new run, Allow runs both, Replace stops the running one and starts the new one. ' +
            'A one-shot AgentJob has one run per spec: a spec change always replaces it.',
        ),
      ),
    ),
    DEFAULT_CONCURRENCY_POLICY,
  ),
  successfulRunsHistoryLimit: v.optional(
    defaulted(
      integer(
        'Scheduled: how many finished successful Jobs (and their pods and logs) the CronJob keeps. Default 3. ' +
          'status.runs keeps its own record of runs after their Jobs are removed.',
        0,
      ),
    ),
    DEFAULT_RUNS_HISTORY_LIMIT,
  ),
  failedRunsHistoryLimit: v.optional(
    defaulted(
      integer('Scheduled: how many failed Jobs (and their pods and logs) the CronJob keeps. Default 3.', 0),
    ),
    DEFAULT_RUNS_HISTORY_LIMIT,
  ),
  retries: v.optional(
    defaulted(
      integer(
        'How many times a failed run is started again (the Job backoffLimit). Default 0: an agent run is not ' +
          'idempotent (it may have pushed commits or opened a pull request before failing).',
        0,
      ),
    ),
    DEFAULT_RETRIES,
  ),
  startingDeadlineSeconds: v.optional(
    integer(
      'Scheduled: a run that could not start within this many seconds of its time is skipped and counted as ' +
        `missed (the CronJob startingDeadlineSeconds). At least ${MIN_STARTING_DEADLINE_SECONDS}; unset, a late run always starts.`,
      MIN_STARTING_DEADLINE_SECONDS,
    ),
  ),
};
