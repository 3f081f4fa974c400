/**
 * Comparing JSON values, in one place. `deepEqual` is equality: what the admission webhook uses
 * to tell an unchanged spec and to compute its patch, and the controller to tell a change its
 * handlers must act on. A field set to `undefined` counts as absent, as it does in JSON.
 * `covers` is the controller's question before it writes: does the live object already hold
 * what it would apply?
 */

/** A JSON object: not null, not an array. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
    return keys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Inclusion, not equality: does the live object already hold everything we would apply?
 * Server-side apply is only sent when it does not, so an unchanged cluster gets no writes. The API
 * server adds defaults and fields of other managers; those are ignored. Lists compare element by
 * element, same length.
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
