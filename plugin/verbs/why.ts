/** `kubectl thurkube why NAME`: reads what explains the phase, then prints it (why-view.ts). */
import { REFERENCE_FIELDS } from '../../shared/api.js';
import { isKind } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/client.js';
import { ourResource, RESOURCES } from '../../shared/kube/resources.js';
import { type AgentJob, eventsAbout, getAgentJob, jobsOf, podsOf, scheduled } from '../agentjobs.js';
import { parseVerb, UsageError } from '../args.js';
import type { Io } from '../follow.js';
import { recordedView, runView } from '../run-view.js';
import type { Session } from '../session.js';
import { formatWhy, type ReferenceCheck } from '../why-view.js';

export const WHY_HELP = `Usage: kubectl thurkube why NAME [-n NAMESPACE]

Explains the phase of AgentJob NAME on one screen: its phase and message, the next step when
something is wrong, each reference it names (found, missing, or its Secret lacking the key),
its conditions, how its latest run went (or why it waits), and the latest events about it, its
CronJob, its latest run's Job and pod.

Example:
  kubectl thurkube why pr-fixer -n agents`;

type SecretKeyRef = { name: string; key: string };

/** Whether the Secret holds the key; never reads further than the key names. */
async function secretKeyState(session: Session, namespace: string, ref: SecretKeyRef): Promise<string> {
  try {
    const secret = await session.client.get<KubeObject & { data?: Record<string, string> }>(
      RESOURCES.secrets,
      {
        namespace,
        name: ref.name,
      },
    );
    return Object.hasOwn(secret.data ?? {}, ref.key)
      ? `ok (Secret ${ref.name} has key ${ref.key})`
      : `Secret ${ref.name} has no key ${ref.key}`;
  } catch (error) {
    if (isKind(error, 'NotFound')) return `Secret ${ref.name} not found`;
    if (isKind(error, 'Forbidden')) return `ok (Secret ${ref.name} not checked: you may not get Secrets)`;
    throw error;
  }
}

async function checkReferences(session: Session, aj: AgentJob): Promise<ReferenceCheck[]> {
  const namespace = aj.metadata.namespace;
  const spec = aj.spec as unknown as Record<string, string | string[] | undefined>;
  const wanted = REFERENCE_FIELDS.flatMap(({ field, kind, many }) => {
    const value = spec[field];
    if (value === undefined) return [];
    const names = many ? (value as string[]) : [value as string];
    return names.map((name, i) => ({ field: many ? `${field}[${i}]` : field, kind, name }));
  });
  return Promise.all(
    wanted.map(async (r): Promise<ReferenceCheck> => {
      let object: KubeObject & { spec?: Record<string, unknown> };
      try {
        object = await session.client.get(ourResource(r.kind), { namespace, name: r.name });
      } catch (error) {
        if (isKind(error, 'NotFound')) return { ...r, state: 'missing' };
        throw error;
      }
      const secretRef = (r.kind === 'AgentAuth' ? object.spec?.secretRef : object.spec?.tokenSecretRef) as
        | SecretKeyRef
        | undefined;
      return { ...r, state: secretRef ? await secretKeyState(session, namespace, secretRef) : 'ok' };
    }),
  );
}

export async function whyVerb(session: Session, args: string[], io: Io): Promise<number> {
  const { positionals } = parseVerb('why', args, {});
  const [name, extra] = positionals;
  if (!name || extra !== undefined) throw new UsageError('why takes one AgentJob NAME');
  const aj = await getAgentJob(session, name);
  const namespace = aj.metadata.namespace;
  const [references, jobs] = await Promise.all([checkReferences(session, aj), jobsOf(session, aj)]);
  const latest = jobs[0];
  const pods = latest?.metadata?.name ? await podsOf(session, namespace, latest.metadata.name) : [];
  let cronJobUid: string | undefined;
  if (scheduled(aj)) {
    try {
      cronJobUid = (await session.client.get(RESOURCES.cronJobs, { namespace, name }))?.metadata?.uid;
    } catch (error) {
      if (!isKind(error, 'NotFound')) throw error;
    }
  }
  const events = await eventsAbout(session, namespace, [
    aj.metadata.uid,
    cronJobUid,
    latest?.metadata?.uid,
    ...pods.map((p) => p.metadata?.uid),
  ]);
  io.out(
    formatWhy({
      aj,
      references,
      run: latest
        ? runView(
            aj,
            latest,
            pods,
            aj.status?.runs?.find((r) => r.jobName === latest.metadata?.name),
          )
        : aj.status?.runs?.[0] && recordedView(aj.status.runs[0]),
      events,
    }),
  );
  return 0;
}
