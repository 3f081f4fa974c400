/**
 * Which AgentJobs refer to an object: `AgentRole agents/default` -> {agents/pr-fixer, ...}.
 * Missing objects are indexed too, so that creating one wakes the AgentJobs waiting for it.
 */
import type { ReferencedKind } from '../shared/api.js';
import { referencesOf } from '../shared/render/resolve.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';

const refKey = (kind: string, namespace: string, name: string) => `${kind} ${namespace}/${name}`;

export class ReferenceIndex {
  private readonly users = new Map<string, Set<string>>();
  private readonly uses = new Map<string, string[]>();

  /** Records what the AgentJob `key` (namespace/name) refers to, replacing what it did before. */
  set(key: string, namespace: string, spec: Partial<AgentJobSpec> | undefined): void {
    this.remove(key);
    const refs = spec ? [...new Set(referencesOf(spec).map((r) => refKey(r.kind, namespace, r.name)))] : [];
    this.uses.set(key, refs);
    for (const ref of refs) {
      let set = this.users.get(ref);
      if (!set) {
        set = new Set();
        this.users.set(ref, set);
      }
      set.add(key);
    }
  }

  remove(key: string): void {
    for (const ref of this.uses.get(key) ?? []) {
      const set = this.users.get(ref);
      set?.delete(key);
      if (set?.size === 0) this.users.delete(ref);
    }
    this.uses.delete(key);
  }

  /** AgentJob keys that refer to `kind namespace/name`. */
  usersOf(kind: ReferencedKind, namespace: string, name: string): string[] {
    return [...(this.users.get(refKey(kind, namespace, name)) ?? [])];
  }
}
