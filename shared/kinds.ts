/** Everything the CRD generator and the services need to know about each kind, in one table. */
import type * as v from 'valibot';
import { type KindName, NAMES } from './api.js';
import { AGENTJOB_NAME_RULES } from './names.js';
import { AgentJobSpec, AgentJobStatus } from './schemas/agent-job.js';
import type { CrdHints } from './schemas/fields.js';
import {
  AgentAuthSpec,
  AgentRoleSpec,
  AgentRuntimeSpec,
  AgentSkillSpec,
  ClusterAccessSpec,
  McpServerSpec,
  RepositorySpec,
} from './schemas/references.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'boolean' | 'date' | 'integer' | 'number';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface KindDefinition {
  kind: KindName;
  description: string;
  spec: v.GenericSchema;
  status?: v.GenericSchema;
  printerColumns?: PrinterColumn[];
  /** Rules on the whole object; only these may read metadata.name. */
  rootRules?: NonNullable<CrdHints['celRules']>;
}

/** The newest run (status.runs[0]) and the counts: LAST RESULT, and with -o wide DURATION and RUNS. */
const RUN_COLUMNS: PrinterColumn[] = [
  {
    name: 'Last Result',
    type: 'string',
    jsonPath: '.status.runs[0].result',
    description: 'How the newest run ended, or that it is running.',
  },
  {
    name: 'Duration',
    type: 'string',
    jsonPath: '.status.runs[0].duration',
    description: 'How long the newest finished run took.',
    priority: 1,
  },
  {
    name: 'Runs',
    type: 'string',
    jsonPath: '.status.runCounts',
    description: 'Runs that succeeded and failed since the AgentJob was created.',
    priority: 1,
  },
];

const age: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

export const KINDS: Record<KindName, KindDefinition> = {
  AgentJob: {
    kind: 'AgentJob',
    description:
      'An AI coding-agent run, once (a Job) or on a schedule (a CronJob), with its config, RBAC and storage.',
    spec: AgentJobSpec,
    status: AgentJobStatus,
    printerColumns: [
      {
        name: 'Schedule',
        type: 'string',
        jsonPath: '.spec.schedule',
        description: 'Cron schedule; empty for one run.',
      },
      {
        name: 'Suspended',
        type: 'boolean',
        jsonPath: '.spec.suspend',
        description: 'Whether runs are paused.',
      },
      {
        name: 'Phase',
        type: 'string',
        jsonPath: '.status.phase',
        description: 'Where the agent is in its life.',
      },
      {
        name: 'Last Run',
        type: 'date',
        jsonPath: '.status.lastRunTime',
        description: 'When the last run started.',
      },
      ...RUN_COLUMNS,
      {
        name: 'Runtime',
        type: 'string',
        jsonPath: '.spec.runtimeRef',
        description: 'AgentRuntime used.',
        priority: 1,
      },
      {
        name: 'Next Run',
        // A timestamp, not `date`: kubectl prints future dates as <invalid>.
        type: 'string',
        jsonPath: '.status.nextRunTime',
        description: 'When the schedule fires next.',
        priority: 1,
      },
      {
        name: 'Message',
        type: 'string',
        jsonPath: '.status.message',
        description: 'What is happening.',
        priority: 1,
      },
      { ...age, priority: 1 },
    ],
    rootRules: AGENTJOB_NAME_RULES,
  },
  AgentRuntime: {
    kind: 'AgentRuntime',
    description: 'A container image that runs agents, with the paths where it reads config and keeps data.',
    spec: AgentRuntimeSpec,
    printerColumns: [
      { name: 'Image', type: 'string', jsonPath: '.spec.image', description: 'Container image.' },
      age,
    ],
  },
  AgentAuth: {
    kind: 'AgentAuth',
    description: 'Names the Secret key that holds an agent auth token.',
    spec: AgentAuthSpec,
    printerColumns: [
      { name: 'Secret', type: 'string', jsonPath: '.spec.secretRef.name', description: 'Secret name.' },
      { name: 'Key', type: 'string', jsonPath: '.spec.secretRef.key', description: 'Key in the Secret.' },
      age,
    ],
  },
  AgentRole: {
    kind: 'AgentRole',
    description: 'The tools an agent may use.',
    spec: AgentRoleSpec,
    printerColumns: [age],
  },
  AgentSkill: {
    kind: 'AgentSkill',
    description: 'A reusable agent skill kept in a GitHub repository.',
    spec: AgentSkillSpec,
    printerColumns: [
      { name: 'Repo', type: 'string', jsonPath: '.spec.repo', description: 'owner/repo.' },
      { name: 'Skill', type: 'string', jsonPath: '.spec.name', description: 'Skill directory.' },
      { name: 'Ref', type: 'string', jsonPath: '.spec.ref', description: 'Branch, tag or commit.' },
      age,
    ],
  },
  McpServer: {
    kind: 'McpServer',
    description: 'An MCP server an agent may use: a local command or a remote URL.',
    spec: McpServerSpec,
    printerColumns: [
      { name: 'Command', type: 'string', jsonPath: '.spec.command', description: 'Local command.' },
      { name: 'URL', type: 'string', jsonPath: '.spec.url', description: 'Remote address.' },
      age,
    ],
  },
  Repository: {
    kind: 'Repository',
    description: 'A GitHub repository an agent works on, and optionally the token to reach it.',
    spec: RepositorySpec,
    printerColumns: [
      { name: 'Owner', type: 'string', jsonPath: '.spec.owner', description: 'Owner.' },
      { name: 'Repo', type: 'string', jsonPath: '.spec.name', description: 'Repository name.' },
      age,
    ],
  },
  ClusterAccess: {
    kind: 'ClusterAccess',
    description: 'Kubernetes RBAC rules granted to the agents that refer to it.',
    spec: ClusterAccessSpec,
    printerColumns: [age],
  },
};

export const kindNames = (kind: KindName) => NAMES[kind];
