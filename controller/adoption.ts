/**
 * Switching from the Rust original starts no run by itself. The original names a one-shot run by
 * the hash of agent.json alone (render/legacy.ts); our configHash covers the whole pod, so without
 * this an AgentJob whose run already happened under the original would get a second one (for an
 * agent that opens pull requests, a duplicate pull request). Pure.
 *
 * The original's run of the same agent.json is taken as the current run:
 * - its Job still exists (same owner, same labels, name N-<its hash>): adopted as it is, and only a
 *   real change (a new configHash) starts a new run;
 * - its Job is gone (removed a day after it finished) but the original's status says it started it
 *   (configHash = its hash, phase Running): the run happened, with an outcome nobody can read any
 *   more; it is recorded as Unknown and nothing starts.
 * Once adopted, our status holds our configHash and the run under the original's Job name, which
 * is what later reconciles recognise.
 */
import type { V1Job } from '@kubernetes/client-node';
import { legacyConfigHash, legacyJobName } from '../shared/render/legacy.js';
import type { AgentJobStatus } from '../shared/schemas/agent-job.js';
import type { Run } from '../shared/schemas/run.js';
import { secondsIso } from '../shared/time.js';

export interface Adoption {
  /** The original's Job name, the current run. */
  jobName: string;
  /** Its Job still exists. */
  live: boolean;
  /** Recorded for a run whose Job is gone, when the history does not have it yet. */
  record?: Run;
}

export interface AdoptionInput {
  agentJobName: string;
  uid: string;
  agentJson: string;
  configHash: string;
  jobs: readonly V1Job[];
  previous: AgentJobStatus | undefined;
}

/** The original's one-shot run of this very agent.json, if there is one to take over. */
export function adoption(input: AdoptionInput): Adoption | undefined {
  const { previous } = input;
  // Nothing but our own run in sight (every reconcile of every AgentJob in the steady state): no
  // run of the original's to take, so its hash, two SHA-256 of agent.json, need not be computed.
  const ours = `${input.agentJobName}-${input.configHash}`;
  const elsewhere = (name: string | undefined) => name !== undefined && name !== ours;
  if (
    !input.jobs.some((j) => elsewhere(j.metadata?.name)) &&
    !elsewhere(previous?.runs?.[0]?.jobName) &&
    !(
      previous?.phase === 'Running' &&
      elsewhere(previous.configHash && `${input.agentJobName}-${previous.configHash}`)
    )
  )
    return undefined;
  const jobName = legacyJobName(input.agentJobName, input.agentJson);
  if (jobName === `${input.agentJobName}-${input.configHash}`) return undefined;
  const live = input.jobs.some(
    (j) =>
      j.metadata?.name === jobName &&
      j.metadata.ownerReferences?.some((o) => o.uid === input.uid && o.controller === true),
  );
  const adoptedBefore = previous?.configHash === input.configHash && previous.runs?.[0]?.jobName === jobName;
  const theOriginals =
    previous?.configHash === undefined || previous.configHash === legacyConfigHash(input.agentJson);
  if (live) return adoptedBefore || theOriginals ? { jobName, live } : undefined;
  if (adoptedBefore) return { jobName, live };
  if (previous?.configHash === legacyConfigHash(input.agentJson) && previous.phase === 'Running') {
    const record: Run = {
      jobName,
      trigger: 'Create',
      result: 'Unknown',
      reason: 'RunUnderRustOperator',
      message: 'ran under the Rust operator; its Job was removed before thurkube could see how it ended',
    };
    const start = secondsIso(previous.lastRunTime);
    if (start) record.startTime = start;
    return { jobName, live, record };
  }
  return undefined;
}
