/**
 * How the agent container reports the end of a run. With FallbackToLogsOnError the kubelet keeps
 * what the container wrote to /dev/termination-log (a runtime's result, see docs/run-results.md),
 * or, when it failed without writing anything, the last lines of its log: the reason a run failed.
 *
 * This is added after the configHash is computed, and so is outside it: it changes what the run
 * reports, not what it does, and hashing it would give every AgentJob that exists today a new
 * hash on upgrade, that is a new run (for an agent that opens pull requests, a duplicate one).
 * Jobs created before it keep running without it; their failures then say less.
 */
import type { V1JobSpec } from '@kubernetes/client-node';
import { AGENT_CONTAINER } from '../agent-pod.js';

export const TERMINATION_MESSAGE_POLICY = 'FallbackToLogsOnError';

export function withRunReporting(jobSpec: V1JobSpec): V1JobSpec {
  const pod = jobSpec.template.spec;
  if (!pod) return jobSpec;
  return {
    ...jobSpec,
    template: {
      ...jobSpec.template,
      spec: {
        ...pod,
        containers: pod.containers.map((c) =>
          c.name === AGENT_CONTAINER ? { ...c, terminationMessagePolicy: TERMINATION_MESSAGE_POLICY } : c,
        ),
      },
    },
  };
}
