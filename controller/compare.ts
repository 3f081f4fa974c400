/**
 * Does the live object already hold everything we would apply? Server-side apply is only sent
 * when it does not, so an unchanged cluster gets no writes. The API server adds defaults and
 * fields of other managers; those are ignored. Lists compare element by element, same length.
 */
export function covers(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) {
      // An empty list we apply and an absent one on the server mean the same.
      return desired.length === 0 && (live === undefined || (Array.isArray(live) && live.length === 0));
    }
    return desired.every((item, i) => covers(live[i], item));
  }
  if (typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) {
      return Object.keys(desired).length === 0 && (live === undefined || live === null);
    }
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => covers(l[k], v));
  }
  // Quantities and ports: the API server may hand back 2 as "2".
  if (typeof desired === 'number' && typeof live === 'string') return String(desired) === live;
  if (typeof desired === 'string' && typeof live === 'number') return desired === String(live);
  if (desired === false && live === undefined) return true;
  return live === desired;
}
