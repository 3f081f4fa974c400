/** Names of the thurkube API that every part of the project (and every cluster) agrees on. */
export const GROUP = 'thurkube.thurbeen.eu';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** `kubectl get thurkube` lists every kind in this category. */
export const CATEGORY = 'thurkube';

export const KIND_NAMES = [
  'AgentJob',
  'AgentRuntime',
  'AgentAuth',
  'AgentRole',
  'AgentSkill',
  'McpServer',
  'Repository',
  'ClusterAccess',
] as const;
export type KindName = (typeof KIND_NAMES)[number];

export interface KindNames {
  kind: KindName;
  plural: string;
  singular: string;
  shortName: string;
}

export const NAMES: Record<KindName, KindNames> = {
  AgentJob: { kind: 'AgentJob', plural: 'agentjobs', singular: 'agentjob', shortName: 'aj' },
  AgentRuntime: { kind: 'AgentRuntime', plural: 'agentruntimes', singular: 'agentruntime', shortName: 'ar' },
  AgentAuth: { kind: 'AgentAuth', plural: 'agentauths', singular: 'agentauth', shortName: 'aa' },
  AgentRole: { kind: 'AgentRole', plural: 'agentroles', singular: 'agentrole', shortName: 'arl' },
  AgentSkill: { kind: 'AgentSkill', plural: 'agentskills', singular: 'agentskill', shortName: 'ask' },
  McpServer: { kind: 'McpServer', plural: 'mcpservers', singular: 'mcpserver', shortName: 'mcp' },
  Repository: { kind: 'Repository', plural: 'repositories', singular: 'repository', shortName: 'repo' },
  ClusterAccess: {
    kind: 'ClusterAccess',
    plural: 'clusteraccesses',
    singular: 'clusteraccess',
    shortName: 'ca',
  },
};

/** The kinds an AgentJob points at, with the spec field that names them. */
export const REFERENCE_FIELDS = [
  { field: 'runtimeRef', kind: 'AgentRuntime', many: false },
  { field: 'authRef', kind: 'AgentAuth', many: false },
  { field: 'roleRef', kind: 'AgentRole', many: false },
  { field: 'skillRef', kind: 'AgentSkill', many: false },
  { field: 'clusterAccessRef', kind: 'ClusterAccess', many: false },
  { field: 'mcpServerRefs', kind: 'McpServer', many: true },
  { field: 'repositoryRefs', kind: 'Repository', many: true },
] as const satisfies readonly { field: string; kind: KindName; many: boolean }[];

export type ReferencedKind = (typeof REFERENCE_FIELDS)[number]['kind'];
