/**
 * The fixed layout of every agent pod (shared/render/pod.ts): the mounts and environment thurkube
 * sets itself, which an AgentRuntime's paths and token variable must not collide with.
 */
export const AGENT_CONTAINER = 'agent';
export const AGENT_UID = 65532;
export const HOME_DIR = '/home/agent';
export const TMP_DIR = '/tmp';
/** Set for `git`/`gh` in the agent from the first listed Repository that has a token. */
export const GH_TOKEN_ENV = 'GH_TOKEN';
/** Writable emptyDirs of every agent pod. */
export const POD_DIRS = [TMP_DIR, HOME_DIR] as const;
/** Variables thurkube sets before and after the AgentJob's own env. */
export const POD_ENV = ['HOME', 'CONFIG_DIR', 'PERSIST_DIR', GH_TOKEN_ENV] as const;
