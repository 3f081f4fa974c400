/**
 * Names of the children the controller creates for an AgentJob N in namespace NS. They match the
 * Rust original so that clusters can switch, and they decide how long N may be.
 */
export const configMapName = (agentJob: string) => `${agentJob}-config`;
export const jobName = (agentJob: string, configHash: string) => `${agentJob}-${configHash}`;
export const cronJobName = (agentJob: string) => agentJob;
export const dataClaimName = (agentJob: string) => `${agentJob}-data`;
export const runnerServiceAccountName = (agentJob: string) => `${agentJob}-runner`;
export const clusterRbacName = (namespace: string, agentJob: string) => `thurkube-${namespace}-${agentJob}`;
/** A run started by the run-now annotation: `N-now-` plus 5 hex digits of the annotation value. */
export const runNowJobName = (agentJob: string, digest: string) => `${agentJob}-now-${digest.slice(0, 5)}`;

export const CONFIG_HASH_LENGTH = 16;
/** Job names become a pod label value (batch.kubernetes.io/job-name): at most 63 characters. */
export const MAX_JOB_NAME = 63;
/** Kubernetes caps CronJob names at 52 so that the Jobs it names by time still fit in 63. */
export const MAX_CRONJOB_NAME = 52;
/** One-shot: `N-<16 hex>` must fit in 63. */
export const MAX_ONE_SHOT_NAME = MAX_JOB_NAME - 1 - CONFIG_HASH_LENGTH;
/** Scheduled: the CronJob is `N`, and run-now Jobs `N-now-xxxxx` are 10 characters longer. */
export const MAX_SCHEDULED_NAME = Math.min(MAX_CRONJOB_NAME, MAX_JOB_NAME - 11);

export function maxAgentJobName(scheduled: boolean): number {
  return scheduled ? MAX_SCHEDULED_NAME : MAX_ONE_SHOT_NAME;
}

/**
 * Every other AgentJob (namespace, name) whose cluster RBAC would have the same name as N's in
 * NS: `thurkube-NS-N` does not say where the namespace ends (`team-prod`/`x` and `team`/`prod-x`).
 */
export function clusterRbacTwins(namespace: string, agentJob: string): { namespace: string; name: string }[] {
  const joined = `${namespace}-${agentJob}`;
  const twins: { namespace: string; name: string }[] = [];
  for (let i = joined.indexOf('-'); i > 0; i = joined.indexOf('-', i + 1)) {
    const ns = joined.slice(0, i);
    const name = joined.slice(i + 1);
    if (name && ns !== namespace) twins.push({ namespace: ns, name });
  }
  return twins;
}

/**
 * The name-length rule, in one place: how long an AgentJob name may be and why, as the admission
 * webhook says it (`agentJobNameProblem`) and as the CRD's CEL rules enforce it without any
 * thurkube process running (`AGENTJOB_NAME_RULES`).
 */
function nameLimit(scheduled: boolean) {
  return scheduled
    ? { kind: 'scheduled', max: MAX_SCHEDULED_NAME, child: 'CronJob', childName: 'N' }
    : { kind: 'one-shot', max: MAX_ONE_SHOT_NAME, child: 'Job', childName: 'N-<16 hex digits>' };
}

/** Why `name` is too long for an AgentJob (scheduled or not); undefined when it fits. */
export function agentJobNameProblem(name: string, scheduled: boolean): string | undefined {
  const { kind, max, child, childName } = nameLimit(scheduled);
  if (name.length <= max) return undefined;
  return `"${name}" is ${name.length} characters; a ${kind} AgentJob may have at most ${max} (its ${child} is named ${childName})`;
}

/** The same rule as CEL on the whole object (only root rules may read metadata.name). */
export const AGENTJOB_NAME_RULES = [false, true].map((scheduled) => {
  const { kind, max, child, childName } = nameLimit(scheduled);
  return {
    rule: `${scheduled ? '!' : ''}has(self.spec.schedule) || self.metadata.name.size() <= ${max}`,
    message: `metadata.name: a ${kind} AgentJob names its ${child} ${childName}, so its name may have at most ${max} characters`,
  };
});
