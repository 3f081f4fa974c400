/** Time helpers every part uses: durations, waiting, and the Kubernetes MicroTime format. */

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
