/** metav1.Condition handling: a condition's lastTransitionTime moves only when its status does. */
import type { Condition } from '../shared/schemas/agent-job.js';

export function setCondition(existing: readonly Condition[], next: Condition, now: string): Condition[] {
  const previous = existing.find((c) => c.type === next.type);
  const lastTransitionTime =
    previous && previous.status === next.status ? (previous.lastTransitionTime ?? now) : now;
  const updated = { ...next, lastTransitionTime };
  const others = existing.filter((c) => c.type !== next.type);
  return [...others, updated].sort((a, b) => a.type.localeCompare(b.type));
}

export function conditionOf(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
