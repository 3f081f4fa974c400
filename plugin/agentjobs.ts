/** Reading an AgentJob and what it made: its Jobs (one per run), their pods, events about them. */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { isKind, ThurkubeError } from '../shared/errors.js';
import type { KubeObject } from '../shared/kube/client.js';
import { ourResource, RESOURCES } from '../shared/kube/resources.js';
import { LABEL_AGENTJOB, LABEL_OWNER_UID } from '../shared/labels.js';
import type { AgentJobSpec, AgentJobStatus } from '../shared/schemas/agent-job.js';
import { UsageError } from './args.js';
import type { Session } from './session.js';

export type AgentJob = KubeObject & {
  metadata: { name: string; namespace: string; uid: string };
  spec: AgentJobSpec;
  status?: AgentJobStatus;
};
export type Job = V1Job & KubeObject;
export type Pod = V1Pod & KubeObject;

export const AGENTJOBS = ourResource('AgentJob');
/** Set by the Job controller on each pod of a Job. */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** The AgentJob NAME in the session's namespace, or, with -A, in the one namespace that has it. */
export async function getAgentJob(session: Session, name: string): Promise<AgentJob> {
  if (!session.allNamespaces) {
    try {
      return await session.client.get<AgentJob>(AGENTJOBS, { namespace: session.namespace, name });
    } catch (error) {
      if (isKind(error, 'NotFound'))
        throw new ThurkubeError(
          'NotFound',
          `AgentJob "${name}" not found in namespace "${session.namespace}"`,
        );
      throw error;
    }
  }
  const found = await session.client.list<AgentJob>(AGENTJOBS, undefined, {
    fieldSelector: `metadata.name=${name}`,
  });
  if (found.items.length === 0)
    throw new ThurkubeError('NotFound', `AgentJob "${name}" not found in any namespace`);
  if (found.items.length > 1)
    throw new UsageError(
      `AgentJob "${name}" exists in namespaces ${found.items.map((a) => `"${a.metadata.namespace}"`).join(', ')}: choose one with -n`,
    );
  return found.items[0] as AgentJob;
}

export const scheduled = (aj: AgentJob) => typeof aj.spec.schedule === 'string' && aj.spec.schedule !== '';
export const ref = (aj: AgentJob) => `${aj.metadata.namespace}/${aj.metadata.name}`;

const created = (o: KubeObject) => Date.parse(o.metadata?.creationTimestamp ?? '') || 0;
const newestFirst = <T extends KubeObject>(items: T[]) =>
  [...items].sort(
    (a, b) => created(b) - created(a) || (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''),
  );

/** Every Job of this AgentJob (one-shot runs, scheduled runs, run-now runs), newest first. */
export async function jobsOf(session: Session, aj: AgentJob): Promise<Job[]> {
  const list = await session.client.list<Job>(RESOURCES.jobs, aj.metadata.namespace, {
    labelSelector: `${LABEL_AGENTJOB}=${aj.metadata.name},${LABEL_OWNER_UID}=${aj.metadata.uid}`,
  });
  return newestFirst(list.items);
}

export async function getJob(session: Session, namespace: string, name: string): Promise<Job | undefined> {
  try {
    return await session.client.get<Job>(RESOURCES.jobs, { namespace, name });
  } catch (error) {
    if (isKind(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** The pods of a Job, newest (the last attempt) first. */
export async function podsOf(session: Session, namespace: string, job: string): Promise<Pod[]> {
  const list = await session.client.list<Pod>(RESOURCES.pods, namespace, {
    labelSelector: `${JOB_NAME_LABEL}=${job}`,
  });
  return newestFirst(list.items);
}

export interface CoreEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject: { kind?: string; name?: string; uid?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { lastObservedTime?: string; count?: number };
}

export const eventTime = (e: CoreEvent) =>
  Date.parse(
    e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '',
  ) || 0;

/** Events about these objects (by uid), oldest first. */
export async function eventsAbout(
  session: Session,
  namespace: string,
  uids: (string | undefined)[],
): Promise<CoreEvent[]> {
  const lists = await Promise.all(
    [...new Set(uids.filter((u): u is string => !!u))].map((uid) =>
      session.client.request<{ items: CoreEvent[] }>('GET', `/api/v1/namespaces/${namespace}/events`, {
        query: { fieldSelector: `involvedObject.uid=${uid}` },
      }),
    ),
  );
  return lists.flatMap((l) => l.items).sort((a, b) => eventTime(a) - eventTime(b));
}
