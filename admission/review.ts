/**
 * The AdmissionReview envelope (admission.k8s.io/v1): a schema to decode what the API server
 * sends, with a reason for anything it cannot use. Objects inside stay as received, unknown fields
 * included, so that patches are computed against exactly what the API server holds.
 */
import * as v from 'valibot';
import type { KubeObject } from '../shared/kube/client.js';
import { formatIssues, parseWith } from '../shared/validation.js';

export const REVIEW_API_VERSION = 'admission.k8s.io/v1';

const ObjectMeta = v.looseObject({
  name: v.optional(v.string()),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  annotations: v.optional(v.record(v.string(), v.string())),
  deletionTimestamp: v.optional(v.string()),
});

/** Any object as received: only metadata is read here, every other field is kept untouched. */
const RawObject = v.looseObject({ metadata: v.optional(ObjectMeta), spec: v.optional(v.unknown()) });

export const UserInfo = v.object({
  username: v.optional(v.string(), ''),
  uid: v.optional(v.string()),
  groups: v.optional(v.array(v.string()), []),
  extra: v.optional(v.record(v.string(), v.array(v.string()))),
});

export const AdmissionRequest = v.object({
  uid: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  kind: v.object({ group: v.string(), version: v.string(), kind: v.string() }),
  resource: v.optional(v.object({ group: v.string(), version: v.string(), resource: v.string() })),
  subResource: v.optional(v.string()),
  name: v.optional(v.string(), ''),
  namespace: v.optional(v.string(), ''),
  operation: v.picklist(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo: v.optional(UserInfo, {}),
  object: v.nullish(RawObject),
  oldObject: v.nullish(RawObject),
  dryRun: v.optional(v.boolean()),
});

export const AdmissionReview = v.object({
  apiVersion: v.literal(REVIEW_API_VERSION),
  kind: v.literal('AdmissionReview'),
  request: AdmissionRequest,
});

export type UserInfo = v.InferOutput<typeof UserInfo>;
export type AdmissionRequest = v.InferOutput<typeof AdmissionRequest>;
export type Operation = AdmissionRequest['operation'];

/** Decodes a review or says, for a person, why it cannot be used. */
export function decodeReview(
  body: unknown,
): { ok: true; request: AdmissionRequest } | { ok: false; reason: string } {
  const parsed = parseWith(AdmissionReview, body, '');
  return parsed.ok
    ? { ok: true, request: parsed.value.request }
    : { ok: false, reason: formatIssues(parsed.issues) };
}

/** The uid to echo even when the rest of the review is unusable. */
export function uidOf(body: unknown): string {
  const uid = (body as { request?: { uid?: unknown } } | null)?.request?.uid;
  return typeof uid === 'string' ? uid : '';
}

/** The object the review is about: the new one, or the old one on DELETE. */
export function subjectOf(request: AdmissionRequest): KubeObject {
  return (request.object ?? request.oldObject ?? {}) as KubeObject;
}

export function nameOf(request: AdmissionRequest): string {
  return subjectOf(request).metadata?.name || request.name;
}
