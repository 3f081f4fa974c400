/**
 * Time helpers every part uses: durations, waiting, the Kubernetes MicroTime format, timestamps
 * with whole seconds as core objects write them, and durations as kubectl prints them.
 */

export const DAY_MS = 86_400_000;

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * metav1.MicroTime (Lease renewTime, Event eventTime): RFC 3339 with six fractional digits. A
 * Date holds milliseconds, so the last three are zeros.
 */
export const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** `2026-12-01T21:53:38Z`: the second precision of every core object's timestamps. */
export function secondsIso(value: Date | string | number | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `45s`, `4m12s`, `2h3m`, `3d4h`: two units at most, like kubectl's AGE and DURATION columns. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}
