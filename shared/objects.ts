/** Whole objects of our kinds, typed from the schemas. */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type * as v from 'valibot';
import type { KindName } from './api.js';
import { KINDS } from './kinds.js';
import type { AgentJobSpec, AgentJobStatus } from './schemas/agent-job.js';
import type {
  AgentAuthSpec,
  AgentRoleSpec,
  AgentRuntimeSpec,
  AgentSkillSpec,
  ClusterAccessSpec,
  McpServerSpec,
  RepositorySpec,
} from './schemas/references.js';
import { type Parsed, parseWith } from './validation.js';

export interface Resource<Spec, Status = never> {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: Spec;
  status?: Status;
}

export interface SpecOf {
  AgentJob: AgentJobSpec;
  AgentRuntime: AgentRuntimeSpec;
  AgentAuth: AgentAuthSpec;
  AgentRole: AgentRoleSpec;
  AgentSkill: AgentSkillSpec;
  McpServer: McpServerSpec;
  Repository: RepositorySpec;
  ClusterAccess: ClusterAccessSpec;
}

export type AgentJob = Resource<AgentJobSpec, AgentJobStatus>;
export type AgentRuntime = Resource<AgentRuntimeSpec>;
export type AgentAuth = Resource<AgentAuthSpec>;
export type AgentRole = Resource<AgentRoleSpec>;
export type AgentSkill = Resource<AgentSkillSpec>;
export type McpServer = Resource<McpServerSpec>;
export type Repository = Resource<RepositorySpec>;
export type ClusterAccess = Resource<ClusterAccessSpec>;
export type AnyResource = Resource<SpecOf[KindName], unknown>;

/** Parses the spec of a kind, with defaults applied and every problem reported under `spec.`. */
export function parseSpec<K extends KindName>(kind: K, spec: unknown): Parsed<SpecOf[K]> {
  return parseWith(KINDS[kind].spec as v.GenericSchema<unknown, SpecOf[K]>, spec, 'spec');
}
