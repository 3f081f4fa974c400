/**
 * One run of an AgentJob as status.runs records it, and what a run reported (the result contract
 * of docs/run-results.md). Every string is bounded (shared/results.ts cuts them) so that ten runs
 * stay a small fraction of what an object may hold.
 */
import * as v from 'valibot';
import { integer, text, timestamp } from './fields.js';

export const RUN_TRIGGERS = ['Create', 'SpecChange', 'Schedule', 'RunNow'] as const;
export const RUN_RESULTS = ['Pending', 'Running', 'Succeeded', 'Failed', 'Stopped', 'Unknown'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
export type RunResult = (typeof RUN_RESULTS)[number];

/** Results that do not change any more. */
export const FINISHED_RESULTS: readonly RunResult[] = ['Succeeded', 'Failed', 'Stopped', 'Unknown'];

export const RunOutputs = v.pipe(
  v.objectWithRest(
    {
      summary: v.optional(text('What the agent says it did, as its runtime reported it.')),
      pullRequests: v.optional(
        v.pipe(
          v.array(v.pipe(v.string(), v.description('URL of a pull request.'))),
          v.description('Pull requests the run opened or updated.'),
        ),
      ),
      costUsd: v.optional(
        v.pipe(v.number(), v.description('What the run cost in US dollars, as its runtime reported it.')),
      ),
      inputTokens: v.optional(integer('Model input tokens the run used.', 0)),
      outputTokens: v.optional(integer('Model output tokens the run used.', 0)),
    },
    v.pipe(v.string(), v.description('Any other value the runtime reported, as text.')),
  ),
  v.description(
    'What the run reported in its termination message (a JSON object, see docs/run-results.md); other keys are kept as strings.',
  ),
);

export const Run = v.pipe(
  v.object({
    jobName: text('The Job of this run.'),
    trigger: v.optional(
      v.pipe(
        v.picklist(RUN_TRIGGERS),
        v.description(
          'What started it: Create (the first run of a one-shot AgentJob), SpecChange (a later one, after a change), ' +
            'Schedule or RunNow (the run-now annotation).',
        ),
      ),
    ),
    startTime: v.optional(timestamp('When the run started (its Job, once a pod existed).')),
    completionTime: v.optional(timestamp('When it finished.')),
    duration: v.optional(text('How long a finished run took, e.g. 4m12s.')),
    result: v.pipe(
      v.picklist(RUN_RESULTS),
      v.description(
        'Pending (no pod running yet), Running, Succeeded, Failed, Stopped (by suspend, a newer run, ' +
          'concurrencyPolicy Replace, or its Job deleted), or Unknown (finished where thurkube could not see it).',
      ),
    ),
    exitCode: v.optional(integer('Exit code of the agent container.')),
    reason: v.optional(
      text('One word: Completed, Error, OOMKilled, DeadlineExceeded, or why the pod has not started.'),
    ),
    message: v.optional(
      text('Why the run ended (or has not started), on one line: the agent last log line.'),
    ),
    outputs: v.optional(RunOutputs),
  }),
  v.description('One run of the agent.'),
);

export type Run = v.InferOutput<typeof Run>;
export type RunOutputs = v.InferOutput<typeof RunOutputs>;
