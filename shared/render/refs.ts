/** An AgentJob with every object it refers to, looked up: the input of every builder. */

import type { AgentJobSpec } from '../schemas/agent-job.js';
import type {
  AgentAuthSpec,
  AgentRoleSpec,
  AgentRuntimeSpec,
  AgentSkillSpec,
  ClusterAccessSpec,
  McpServerSpec,
  RepositorySpec,
} from '../schemas/references.js';

export interface Named<S> {
  name: string;
  spec: S;
}

export interface ResolvedRefs {
  runtime: Named<AgentRuntimeSpec>;
  auth: Named<AgentAuthSpec>;
  role: Named<AgentRoleSpec>;
  skill?: Named<AgentSkillSpec>;
  clusterAccess?: Named<ClusterAccessSpec>;
  /** In the order of spec.mcpServerRefs. */
  mcpServers: Named<McpServerSpec>[];
  /** In the order of spec.repositoryRefs. */
  repositories: Named<RepositorySpec>[];
}

export interface AgentJobIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export interface RenderInput {
  agentJob: AgentJobIdentity;
  spec: AgentJobSpec;
  refs: ResolvedRefs;
}
