/**
 * Comparing JSON values, in one place. `deepEqual` is equality: what the admission webhook uses
 * to tell an unchanged spec and to compute its patch, and the controller to tell a change its
 * handlers must act on. A field set to `undefined` counts as absent, as it does in JSON.
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
