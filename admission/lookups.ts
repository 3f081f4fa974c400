/**
 * What the decisions need to know about the cluster, as one interface. The decisions (mutate,
 * validate) take it as an argument and do nothing else that reaches outside, so they can be read
 * and tested as functions; `ClusterLookups` answers from watch caches and the API server.
 * Every call takes the review's signal: when the review's time is up, the calls stop.
 */
import type { ReferencedKind } from '../shared/api.js';
import type { KubeObject } from '../shared/kube/client.js';
import type { Permission } from '../shared/rbac.js';
import type { UserInfo } from './review.js';

export type { Permission } from '../shared/rbac.js';

export interface Referrer {
  name: string;
  /** Set when the AgentJob runs with cluster access. */
  clusterAccessRef?: string;
  /** Being deleted: it will not run again. */
  deleting: boolean;
}

export type DryRunResult = { ok: true } | { ok: false; message: string };

export interface Lookups {
  /** An object of a referenced kind: the cache, then a live GET. Undefined when it does not exist. */
  object(
    kind: ReferencedKind,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined>;
  /** Names of the objects of `kind` in `namespace` annotated as the namespace default. */
  defaults(kind: ReferencedKind, namespace: string, signal: AbortSignal): Promise<string[]>;
  /** The key names of a Secret (never its values); undefined when it does not exist. */
  secretKeys(namespace: string, name: string, signal: AbortSignal): Promise<string[] | undefined>;
  /** Whether `user` holds `permission` cluster-wide (SubjectAccessReview). */
  allowed(user: UserInfo, permission: Permission, signal: AbortSignal): Promise<boolean>;
  /** Server-side dry-run create; AlreadyExists counts as accepted (validation ran before it). */
  dryRunCreate(object: KubeObject, signal: AbortSignal): Promise<DryRunResult>;
  /** The AgentJobs in `namespace` whose spec refers to `kind` `name` (from the cache), by name. */
  referrers(kind: ReferencedKind, namespace: string, name: string): Referrer[];
  /** A ServiceAccount, read live; undefined when it does not exist. */
  serviceAccount(namespace: string, name: string, signal: AbortSignal): Promise<KubeObject | undefined>;
  /** An AgentJob from the cache (trimmed to metadata and spec); undefined when not known. */
  agentJob(namespace: string, name: string): KubeObject | undefined;
}
