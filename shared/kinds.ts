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

/** A column showing one string field of the object. */
const textColumn = (name: string, jsonPath: string, description: string): PrinterColumn => ({
  name,
  type: 'string',
  jsonPath,
  description,
});

/** A kind that AgentJobs refer to: its own columns, then Age. */
const referenced = (
  kind: KindName,
  description: string,
  spec: v.GenericSchema,
  columns: PrinterColumn[] = [],
): KindDefinition => ({ kind, description, spec, printerColumns: [...columns, age] });

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
  AgentRuntime: referenced(
    'AgentRuntime',
    'A container image that runs agents, with the paths where it reads config and keeps data.',
    AgentRuntimeSpec,
    [textColumn('Image', '.spec.image', 'Container image.')],
  ),
  AgentAuth: referenced('AgentAuth', 'Names the Secret key that holds an agent auth token.', AgentAuthSpec, [
    textColumn('Secret', '.spec.secretRef.name', 'Secret name.'),
    textColumn('Key', '.spec.secretRef.key', 'Key in the Secret.'),
  ]),
  AgentRole: referenced('AgentRole', 'The tools an agent may use.', AgentRoleSpec),
  AgentSkill: referenced(
    'AgentSkill',
    'A reusable agent skill kept in a GitHub repository.',
    AgentSkillSpec,
    [
      textColumn('Repo', '.spec.repo', 'owner/repo.'),
      textColumn('Skill', '.spec.name', 'Skill directory.'),
      textColumn('Ref', '.spec.ref', 'Branch, tag or commit.'),
    ],
  ),
  McpServer: referenced(
    'McpServer',
    'An MCP server an agent may use: a local command or a remote URL.',
    McpServerSpec,
    [
      textColumn('Command', '.spec.command', 'Local command.'),
      textColumn('URL', '.spec.url', 'Remote address.'),
    ],
  ),
  Repository: referenced(
    'Repository',
    'A GitHub repository an agent works on, and optionally the token to reach it.',
    RepositorySpec,
    [textColumn('Owner', '.spec.owner', 'Owner.'), textColumn('Repo', '.spec.name', 'Repository name.')],
  ),
  ClusterAccess: referenced(
    'ClusterAccess',
    'Kubernetes RBAC rules granted to the agents that refer to it.',
    ClusterAccessSpec,
  ),
};

export const kindNames = (kind: KindName) => NAMES[kind];
