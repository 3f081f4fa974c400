/**
 * Looks up every object an AgentJob refers to. Pure: the caller supplies the lookup (a watch cache
 * in the controller, cache-then-GET in the webhook). Reports every missing or invalid reference.
 */
import { REFERENCE_FIELDS, type ReferencedKind } from '../api.js';
import { parseSpec, type SpecOf } from '../objects.js';
import type { AgentJobSpec } from '../schemas/agent-job.js';
import { formatIssues, type Parsed } from '../validation.js';
import type { Named, ResolvedRefs } from './refs.js';

export interface RefProblem {
  /** e.g. `spec.mcpServerRefs[1]` */
  field: string;
  kind: ReferencedKind;
  name: string;
  problem: 'missing' | 'invalid';
  detail?: string;
}

/**
 * Referenced objects come from watch caches, which replace an object on change and never edit it
 * in place; so a spec parsed once stays parsed. Every review and reconcile of every AgentJob that
 * uses a runtime would otherwise parse that runtime again.
 */
const parsedSpecs = new WeakMap<object, Parsed<unknown>>();

function parseCachedSpec<K extends ReferencedKind>(kind: K, spec: unknown): Parsed<SpecOf[K]> {
  if (spec === null || typeof spec !== 'object') return parseSpec(kind, spec);
  let parsed = parsedSpecs.get(spec) as Parsed<SpecOf[K]> | undefined;
  if (!parsed) {
    parsed = parseSpec(kind, spec);
    parsedSpecs.set(spec, parsed);
  }
  return parsed;
}

export type Lookup = (kind: ReferencedKind, name: string) => { spec?: unknown } | undefined;

export type Resolution = { ok: true; refs: ResolvedRefs } | { ok: false; problems: RefProblem[] };

/** Every (field, kind, name) an AgentJob spec points at, in field order. */
export function referencesOf(
  spec: Partial<AgentJobSpec>,
): { field: string; kind: ReferencedKind; name: string }[] {
  const out: { field: string; kind: ReferencedKind; name: string }[] = [];
  for (const ref of REFERENCE_FIELDS) {
    const value = (spec as Record<string, unknown>)[ref.field];
    if (ref.many) {
      if (Array.isArray(value)) {
        for (const [i, name] of value.entries()) {
          out.push({ field: `spec.${ref.field}[${i}]`, kind: ref.kind, name: String(name) });
        }
      }
    } else if (typeof value === 'string' && value) {
      out.push({ field: `spec.${ref.field}`, kind: ref.kind, name: value });
    }
  }
  return out;
}

export function resolveRefs(spec: AgentJobSpec, lookup: Lookup): Resolution {
  const problems: RefProblem[] = [];
  const found = new Map<string, Named<unknown>>();
  for (const ref of referencesOf(spec)) {
    const object = lookup(ref.kind, ref.name);
    if (!object) {
      problems.push({ ...ref, problem: 'missing' });
      continue;
    }
    const parsed = parseCachedSpec(ref.kind, object.spec);
    if (!parsed.ok) {
      problems.push({ ...ref, problem: 'invalid', detail: formatIssues(parsed.issues) });
      continue;
    }
    found.set(`${ref.kind}/${ref.name}`, { name: ref.name, spec: parsed.value });
  }
  if (problems.length > 0) return { ok: false, problems };
  const get = <K extends ReferencedKind>(kind: K, name: string) =>
    found.get(`${kind}/${name}`) as Named<SpecOf[K]>;
  return {
    ok: true,
    refs: {
      runtime: get('AgentRuntime', spec.runtimeRef),
      auth: get('AgentAuth', spec.authRef),
      role: get('AgentRole', spec.roleRef),
      skill: spec.skillRef ? get('AgentSkill', spec.skillRef) : undefined,
      clusterAccess: spec.clusterAccessRef ? get('ClusterAccess', spec.clusterAccessRef) : undefined,
      mcpServers: spec.mcpServerRefs.map((name) => get('McpServer', name)),
      repositories: spec.repositoryRefs.map((name) => get('Repository', name)),
    },
  };
}

/** `AgentRuntime "claude-code" not found in namespace "agents"` and the like. */
export function describeProblem(p: RefProblem, namespace: string): string {
  return p.problem === 'missing'
    ? `${p.field}: ${p.kind} "${p.name}" not found in namespace "${namespace}"`
    : `${p.field}: ${p.kind} "${p.name}" is invalid: ${p.detail}`;
}
