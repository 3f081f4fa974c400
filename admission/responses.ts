/**
 * Admission responses, as controller-runtime's Allowed/Denied/Errored/Patched: every answer
 * carries the request uid, warnings only when there are some, a patch only when it changes
 * something.
 */
import { REVIEW_API_VERSION } from './review.js';

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export const envelope = (response: AdmissionResponse) => ({
  apiVersion: REVIEW_API_VERSION,
  kind: 'AdmissionReview',
  response,
});

const withWarnings = (response: AdmissionResponse, warnings: readonly string[]) =>
  warnings.length > 0 ? { ...response, warnings: [...warnings] } : response;

export function allowed(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return withWarnings({ uid, allowed: true }, warnings);
}

/** A JSONPatch response; no patch at all when there is nothing to change. */
export function patched(
  uid: string,
  patch: readonly unknown[],
  warnings: readonly string[] = [],
): AdmissionResponse {
  if (patch.length === 0) return allowed(uid, warnings);
  const encoded = Buffer.from(JSON.stringify(patch)).toString('base64');
  return withWarnings({ uid, allowed: true, patchType: 'JSONPatch', patch: encoded }, warnings);
}

export function denied(
  uid: string,
  message: string,
  code = 403,
  warnings: readonly string[] = [],
): AdmissionResponse {
  const reason = code === 422 ? 'Invalid' : code === 403 ? 'Forbidden' : undefined;
  return withWarnings(
    { uid, allowed: false, status: { code, message, ...(reason ? { reason } : {}) } },
    warnings,
  );
}

/** The review could not be decided (bad input, API server unreachable): denied, saying why. */
export function errored(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } };
}
