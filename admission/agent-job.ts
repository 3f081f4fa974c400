/**
 * Validation of an AgentJob: every problem collected, with its field path, then one answer.
 * Schema, name length, schedule and time zone are checked locally; references, Secrets, the
 * rendered child (dry-run) and the escalation guard go through the lookups.
 */
import type { ReferencedKind } from '../shared/api.js';
import type { KubeObject } from '../shared/kube/client.js';
import { agentJobNameProblem, maxAgentJobName } from '../shared/names.js';
import { parseSpec } from '../shared/objects.js';
import {
  describeProblem,
  type Lookup,
  type RefProblem,
  referencesOf,
  resolveRefs,
} from '../shared/render/resolve.js';
import { everFires, isTimeZone, parseSchedule } from '../shared/schedule.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';
import type { FieldIssue } from '../shared/validation.js';
import { accessIssues } from './agent-job-access.js';
import { childIssues, type ScheduleFix } from './dry-run.js';
import type { Lookups } from './lookups.js';
import { type AdmissionRequest, nameOf } from './review.js';
import { secretWarnings } from './secrets.js';
import { type Settings, type Verdict, verdict } from './verdict.js';

/** Name length, schedule and time zone: what needs no lookup. Also returns the CronJob's schedule. */
export function localIssues(name: string, spec: Partial<AgentJobSpec>) {
  const issues: FieldIssue[] = [];
  const warnings: string[] = [];
  const scheduled = spec.schedule !== undefined;
  const nameProblem = agentJobNameProblem(name, scheduled);
  if (nameProblem) issues.push({ path: 'metadata.name', message: nameProblem });
  const timezone = spec.timezone ?? 'Etc/UTC';
  const zoneOk = isTimeZone(timezone);
  if (!zoneOk)
    issues.push({
      path: 'spec.timezone',
      message: `"${timezone}" is not an IANA time zone (e.g. Europe/Paris)`,
    });
  let cron: ScheduleFix | undefined;
  if (typeof spec.schedule === 'string') {
    const parsed = parseSchedule(spec.schedule);
    if (!parsed.ok) issues.push({ path: 'spec.schedule', message: `"${spec.schedule}": ${parsed.problem}` });
    else if (zoneOk && !everFires(parsed.fields, timezone))
      warnings.push(`spec.schedule: "${spec.schedule}" never fires, so the agent never runs`);
    // Placeholders where the value is already reported: the dry-run then tells only new problems.
    cron = { schedule: parsed.ok ? spec.schedule : '@daily', timezone: zoneOk ? timezone : 'Etc/UTC' };
  }
  return { issues, warnings, cron, shortName: name.slice(0, maxAgentJobName(scheduled)) };
}

/** Every referenced object, looked up at once; the missing ones as problems. */
async function lookUpReferences(
  spec: Partial<AgentJobSpec>,
  namespace: string,
  lookups: Lookups,
  signal: AbortSignal,
): Promise<{ found: Lookup; problems: RefProblem[] }> {
  const refs = referencesOf(spec);
  const objects = await Promise.all(refs.map((r) => lookups.object(r.kind, namespace, r.name, signal)));
  const found = new Map<string, { spec?: unknown }>();
  const problems: RefProblem[] = [];
  refs.forEach((r, i) => {
    const o = objects[i];
    if (o) found.set(`${r.kind}/${r.name}`, { spec: o.spec });
    else problems.push({ ...r, problem: 'missing' });
  });
  return { found: (kind: ReferencedKind, name: string) => found.get(`${kind}/${name}`), problems };
}

export async function validateAgentJob(
  request: AdmissionRequest,
  lookups: Lookups,
  settings: Settings,
  signal: AbortSignal,
): Promise<Verdict> {
  const object = request.object as KubeObject;
  const namespace = request.namespace;
  const raw = (object.spec ?? {}) as Partial<AgentJobSpec>;
  const local = localIssues(nameOf(request), raw);
  const { issues, warnings } = local;
  const parsed = parseSpec('AgentJob', object.spec);
  if (!parsed.ok) issues.push(...parsed.issues);

  const { found, problems } = await lookUpReferences(raw, namespace, lookups, signal);
  const resolution = parsed.ok && problems.length === 0 ? resolveRefs(parsed.value, found) : undefined;
  if (resolution && !resolution.ok) problems.push(...resolution.problems);
  for (const p of problems) {
    // describeProblem reads "<field>: <what>"; the field becomes the issue's path.
    const message = describeProblem(p, namespace).slice(p.field.length + 2);
    // A ClusterAccess that appears later would be granted to whoever referred to it first: never
    // admitted missing, whatever the mode.
    if (p.problem === 'missing' && settings.missingRefs === 'warn' && p.kind !== 'ClusterAccess')
      warnings.push(`${p.field}: ${message}; the controller waits for it`);
    else issues.push({ path: p.field, message });
  }
  if (!parsed.ok || !resolution?.ok) return verdict(issues, warnings);

  const spec = parsed.value;
  const resolved = resolution.refs;
  const identity = { name: local.shortName, namespace, uid: object.metadata?.uid ?? '' };
  const [child, secrets, access] = await Promise.all([
    childIssues(
      { agentJob: identity, spec, refs: resolved },
      local.cron,
      lookups,
      signal,
      settings.dryRunChildren !== false,
    ),
    secretWarnings(
      namespace,
      [
        { by: `AgentAuth "${resolved.auth.name}"`, ref: resolved.auth.spec.secretRef },
        ...resolved.repositories.flatMap((r) =>
          r.spec.tokenSecretRef ? [{ by: `Repository "${r.name}"`, ref: r.spec.tokenSecretRef }] : [],
        ),
      ],
      lookups,
      signal,
    ),
    accessIssues(request, spec, lookups, settings, signal),
  ]);
  return verdict([...issues, ...child, ...access.issues], [...warnings, ...secrets], access.forbidden);
}
