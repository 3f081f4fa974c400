/** Waiting for conditions instead of sleeping, for unit and cluster tests alike. */
import { sleep } from '../../shared/time.js';

/** Polls `check` until it returns a value other than undefined/false, or fails with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

/** A promise the test resolves when it chooses: to hold a worker, a route or a stream. */
export function gate<T = void>() {
  let open: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A condition a unit test expects within moments (a fake API answers at once): polled every ms. */
export const soon = <T>(what: string, check: () => T | undefined | false) => eventually(what, check, 3000, 1);
