/**
 * Lookups answered by the cluster: watch caches first (fast, no API call), a live GET on a cache
 * miss (an object created a millisecond ago, e.g. earlier in the same `kubectl apply -f` file),
 * SubjectAccessReviews for the escalation guard and server-side dry-runs for rendered children.
 * Every call has its own timeout and the review's signal, so a review always ends in time.
 */
import type { ReferencedKind } from '../shared/api.js';
import { isKind, ThurkubeError } from '../shared/errors.js';
import type { KubeClient, KubeList, KubeObject } from '../shared/kube/client.js';
import { ourResource, RESOURCES, type ResourceType, resourcePath } from '../shared/kube/resources.js';
import { ANNOTATION_DEFAULT, FIELD_MANAGER } from '../shared/labels.js';
import { referencesOf } from '../shared/render/resolve.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';
import type { AdmissionCaches } from './caches.js';
import type { DryRunResult, Lookups, Permission, Referrer } from './lookups.js';
import type { UserInfo } from './review.js';

/** Leaves room for two calls in a row inside the 5 s webhook timeout. */
export const API_CALL_TIMEOUT_MS = 2000;

const isDefault = (o: KubeObject) => o.metadata?.annotations?.[ANNOTATION_DEFAULT] === 'true';

/** How long the key names of a Secret are reused for warnings. */
export const SECRET_TTL_MS = 10_000;
const SECRET_CACHE_MAX = 10_000;

export class ClusterLookups implements Lookups {
  private readonly secretCache = new Map<string, { keys: string[] | undefined; at: number }>();

  constructor(
    private readonly client: KubeClient,
    private readonly caches: AdmissionCaches,
    private readonly timeoutMs = API_CALL_TIMEOUT_MS,
  ) {}

  async object(kind: ReferencedKind, namespace: string, name: string, signal: AbortSignal) {
    const cached = this.caches[kind].get(namespace, name);
    if (cached) return cached;
    try {
      const live = await this.client.get<KubeObject>(
        ourResource(kind),
        { namespace, name },
        this.args(signal),
      );
      this.caches[kind].remember(live);
      return live;
    } catch (error) {
      if (isKind(error, 'NotFound')) return undefined;
      throw unreachable(`read ${kind} "${name}"`, error);
    }
  }

  async defaults(kind: ReferencedKind, namespace: string, signal: AbortSignal) {
    let found = this.caches[kind].list(namespace).filter(isDefault);
    // None in the cache may only mean the cache has not seen it yet: ask the API server.
    if (found.length === 0) {
      try {
        const type = ourResource(kind);
        const list = await this.client.request<KubeList<KubeObject>>(
          'GET',
          pathOf(type, namespace),
          this.args(signal),
        );
        found = list.items.filter(isDefault);
      } catch (error) {
        throw unreachable(`list ${kind} defaults`, error);
      }
    }
    return found.map((o) => o.metadata?.name ?? '').sort();
  }

  /**
   * Key names of a Secret, remembered for SECRET_TTL_MS. Every AgentJob review asks for its auth
   * Secret; without this, each review would cost an API round trip, and a burst of applies would
   * load the API server for warnings only. Only key names are kept, never values; a warning may
   * lag a Secret change by that long. (A watch would need `list` on every Secret in the cluster.)
   */
  async secretKeys(namespace: string, name: string, signal: AbortSignal): Promise<string[] | undefined> {
    const key = `${namespace}/${name}`;
    const hit = this.secretCache.get(key);
    if (hit && Date.now() - hit.at < SECRET_TTL_MS) return hit.keys;
    const keys = await this.readSecretKeys(namespace, name, signal);
    if (this.secretCache.size >= SECRET_CACHE_MAX) this.secretCache.clear();
    this.secretCache.set(key, { keys, at: Date.now() });
    return keys;
  }

  private async readSecretKeys(namespace: string, name: string, signal: AbortSignal) {
    try {
      const secret = await this.client.get<KubeObject & { data?: Record<string, string> }>(
        RESOURCES.secrets,
        { namespace, name },
        this.args(signal),
      );
      // Only the key names leave this function; the values are dropped here.
      return Object.keys(secret.data ?? {});
    } catch (error) {
      if (isKind(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  async allowed(user: UserInfo, permission: Permission, signal: AbortSignal) {
    const attributes =
      'path' in permission
        ? { nonResourceAttributes: { path: permission.path, verb: permission.verb } }
        : { resourceAttributes: { ...permission } };
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, ...attributes },
    };
    try {
      const answer = await this.client.request<{ status?: { allowed?: boolean } }>(
        'POST',
        pathOf(RESOURCES.subjectAccessReviews),
        { ...this.args(signal), body: review },
      );
      return answer.status?.allowed === true;
    } catch (error) {
      throw unreachable('check permissions with a SubjectAccessReview', error);
    }
  }

  async dryRunCreate(object: KubeObject, signal: AbortSignal): Promise<DryRunResult> {
    const type = object.kind === 'CronJob' ? RESOURCES.cronJobs : RESOURCES.jobs;
    try {
      await this.client.request('POST', pathOf(type, object.metadata?.namespace), {
        ...this.args(signal),
        body: object,
        query: { dryRun: 'All', fieldManager: FIELD_MANAGER },
      });
      return { ok: true };
    } catch (error) {
      // The API server validates before it looks for an existing object: AlreadyExists means valid.
      if (error instanceof ThurkubeError && error.reason === 'AlreadyExists') return { ok: true };
      if (error instanceof ThurkubeError && error.kind !== 'Transient')
        return { ok: false, message: error.message };
      throw unreachable(`dry-run the ${object.kind}`, error);
    }
  }

  referrers(kind: ReferencedKind, namespace: string, name: string): Referrer[] {
    return this.caches.AgentJob.list(namespace)
      .filter((job) =>
        referencesOf((job.spec ?? {}) as Partial<AgentJobSpec>).some(
          (r) => r.kind === kind && r.name === name,
        ),
      )
      .map((job) => ({
        name: job.metadata?.name ?? '',
        clusterAccessRef: (job.spec as Partial<AgentJobSpec> | undefined)?.clusterAccessRef,
        deleting: job.metadata?.deletionTimestamp !== undefined,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async serviceAccount(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.client.get<KubeObject>(
        RESOURCES.serviceAccounts,
        { namespace, name },
        this.args(signal),
      );
    } catch (error) {
      if (isKind(error, 'NotFound')) return undefined;
      throw unreachable(`read ServiceAccount "${name}"`, error);
    }
  }

  agentJob(namespace: string, name: string): KubeObject | undefined {
    return this.caches.AgentJob.get(namespace, name);
  }

  private args(signal: AbortSignal) {
    return { timeoutMs: this.timeoutMs, signal };
  }
}

const pathOf = (type: ResourceType, namespace?: string) => resourcePath(type, { namespace });

/** A lookup that failed for a reason other than "not found": the review cannot be decided. */
function unreachable(what: string, error: unknown): ThurkubeError {
  const message = error instanceof Error ? error.message : String(error);
  return new ThurkubeError('Transient', `could not ${what}: ${message}`, { cause: error });
}
