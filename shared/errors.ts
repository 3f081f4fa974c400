/**
 * Errors as values with a kind. The kind decides what happens next: a transient error is retried
 * with backoff; an invalid one is not retried until the object changes; both reach status and
 * metrics. Messages are written for the person at the terminal.
 */
export type ErrorKind = 'NotFound' | 'Conflict' | 'Invalid' | 'Forbidden' | 'Transient';

export class ThurkubeError extends Error {
  readonly kind: ErrorKind;
  /** HTTP status from the API server, when the error came from it. */
  readonly status?: number;
  /** Kubernetes Status reason, e.g. AlreadyExists, Expired. */
  readonly reason?: string;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { status?: number; reason?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${kind}Error`;
    this.kind = kind;
    this.status = options.status;
    this.reason = options.reason;
  }
}

export const isKind = (error: unknown, kind: ErrorKind): error is ThurkubeError =>
  error instanceof ThurkubeError && error.kind === kind;

/** Retrying helps unless the input itself is wrong or we lack the right to act. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ThurkubeError)) return true;
  return error.kind === 'Transient' || error.kind === 'Conflict' || error.kind === 'NotFound';
}

/** A readable one-line message for any thrown value (never `{}` as JSON.stringify gives for Errors). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
