import * as v from 'valibot';
import { EnvFromSource, EnvVar, ResourceRequirements } from './core.js';
import { flag, hints, integer, nonEmpty, objectName, stringList, text, timestamp } from './fields.js';
import { runPolicyEntries } from './run-policy.js';
import { runStatusEntries } from './run-status.js';
import { jobPlacementEntries } from './scheduling.js';

export const DEFAULT_TIMEZONE = 'Etc/UTC';
export const DEFAULT_TIMEOUT_SECONDS = 3600;

export const AgentJobSpec = v.pipe(
  v.object({
    schedule: v.optional(
      nonEmpty(
        'Cron schedule in the five-field form a CronJob accepts ("0 */6 * * *") or a macro such as @daily. ' +
          'Absent: the agent runs once, as a Job. Present: it runs on this schedule, as a CronJob.',
      ),
    ),
    timezone: v.optional(
      nonEmpty('IANA time zone the schedule is read in, e.g. Europe/Paris. Default Etc/UTC.'),
      DEFAULT_TIMEZONE,
    ),
    suspend: v.optional(
      flag('Pauses the agent: no new runs start and a running one is stopped. Its data is kept.'),
      false,
    ),
    runtimeRef: objectName(
      'Name of the AgentRuntime (image, command, mount paths) to run. When omitted, the namespace default ' +
        'AgentRuntime (annotated thurkube.thurbeen.eu/default: "true") is filled in.',
    ),
    authRef: objectName(
      'Name of the AgentAuth whose Secret key becomes the agent token. When omitted, the namespace default ' +
        'AgentAuth is filled in.',
    ),
    roleRef: objectName(
      'Name of the AgentRole listing the tools the agent may use. When omitted, the namespace default ' +
        'AgentRole is filled in.',
    ),
    skillRef: v.optional(objectName('Name of an AgentSkill to load into the agent.')),
    clusterAccessRef: v.optional(
      objectName(
        'Name of a ClusterAccess. Its rules are granted to the run through a ServiceAccount N-runner, ' +
          'a ClusterRole and a ClusterRoleBinding thurkube-NS-N.',
      ),
    ),
    mcpServerRefs: v.optional(
      stringList('Names of McpServers the agent may use.', 'Name of an McpServer in the same namespace.'),
      [],
    ),
    repositoryRefs: v.optional(
      stringList(
        'Names of Repositories the agent works on. The first one with a tokenSecretRef provides GH_TOKEN.',
        'Name of a Repository in the same namespace.',
      ),
      [],
    ),
    prompt: nonEmpty('What the agent is asked to do.'),
    instructions: v.optional(
      text('Project instructions given to the agent as context (e.g. its CLAUDE.md).'),
    ),
    model: v.optional(text('Model the agent uses, e.g. sonnet; the runtime chooses when unset.')),
    resources: v.optional(ResourceRequirements),
    timeoutSeconds: v.optional(
      integer('Longest a run may take, in seconds, before it is stopped and counted as failed.', 1),
      DEFAULT_TIMEOUT_SECONDS,
    ),
    env: v.optional(
      v.pipe(
        v.array(EnvVar),
        v.description('Extra environment variables for the agent container, set before the auth token.'),
      ),
      [],
    ),
    envFrom: v.optional(
      v.pipe(
        v.array(EnvFromSource),
        v.description('ConfigMaps or Secrets whose keys all become environment variables of the agent.'),
      ),
      [],
    ),
    persist: v.optional(
      flag(
        'Keeps the agent workspace and conversation between runs on a PersistentVolumeClaim N-data ' +
          '(1Gi, ReadWriteOnce), mounted at the runtime persistPath. The claim is deleted only with the AgentJob.',
      ),
      false,
    ),
    ...jobPlacementEntries,
    ...runPolicyEntries,
  }),
  v.description('What the agent does, when it runs, and what it is given.'),
);

export const PHASES = [
  'Pending',
  'Running',
  'Succeeded',
  'Failed',
  'Scheduled',
  'Suspended',
  'Unknown',
] as const;

export const Condition = v.pipe(
  v.object({
    type: nonEmpty('Kind of condition, e.g. Ready or RefsResolved.'),
    status: v.pipe(v.picklist(['True', 'False', 'Unknown']), v.description('True, False or Unknown.')),
    reason: v.optional(text('One CamelCase word saying why the status is what it is.')),
    message: v.optional(text('What happened, for a person.')),
    lastTransitionTime: v.optional(timestamp('When the status last changed.')),
    observedGeneration: v.optional(integer('The metadata.generation this condition was computed from.', 0)),
  }),
  v.description('One observation about the AgentJob, in the usual Kubernetes form.'),
);

export const OwnedResource = v.pipe(
  v.object({
    kind: nonEmpty('Kind of the child object, e.g. Job.'),
    name: nonEmpty('Name of the child object.'),
  }),
  v.description('A child object the controller created for this AgentJob.'),
);

export const AgentJobStatus = v.pipe(
  v.object({
    phase: v.optional(
      v.pipe(
        v.picklist(PHASES),
        v.description(
          'Pending, Running, Succeeded, Failed, Scheduled (waiting for its next run), Suspended, or Unknown ' +
            '(its one run finished where thurkube could not see how, e.g. under the Rust operator).',
        ),
      ),
    ),
    lastRunTime: v.optional(timestamp('When the most recent run started.')),
    lastCompletionTime: v.optional(timestamp('When the most recent run finished successfully.')),
    nextRunTime: v.optional(
      timestamp('When the schedule fires next; absent for one-shot or suspended agents.'),
    ),
    message: v.optional(text('What is happening or what is wrong, for a person.')),
    observedGeneration: v.optional(integer('The metadata.generation this status describes.', 0)),
    configHash: v.optional(
      text('First 16 hex digits of the SHA-256 of what changes a run: the rendered agent.json and the pod.'),
    ),
    handledRunNow: v.optional(
      text('The last value of the thurkube.thurbeen.eu/run-now annotation that started a run.'),
    ),
    ownedResources: v.optional(
      v.pipe(v.array(OwnedResource), v.description('Child objects created for this AgentJob.')),
    ),
    conditions: v.optional(
      v.pipe(
        v.array(Condition),
        hints({ listType: 'map', listMapKeys: ['type'] }),
        v.description('Ready and RefsResolved, in the usual Kubernetes form.'),
      ),
    ),
    ...runStatusEntries,
  }),
  v.description('What the controller observed; written by the controller only.'),
);

export type AgentJobSpec = v.InferOutput<typeof AgentJobSpec>;
export type AgentJobSpecInput = v.InferInput<typeof AgentJobSpec>;
export type AgentJobStatus = v.InferOutput<typeof AgentJobStatus>;
export type Condition = v.InferOutput<typeof Condition>;
export type Phase = (typeof PHASES)[number];
