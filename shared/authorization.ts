/**
 * The authorization of an AgentJob's ClusterAccess, recorded at admission. The mutating webhook
 * writes it (annotation ANNOTATION_AUTHORIZATION) when a person writes the spec, naming who was
 * checked, the rules they were checked for and a digest of the spec they wrote, signed with a key
 * only thurkube's two services hold (HMAC-SHA256). The controller grants a ClusterAccess only as
 * far as a valid authorization covers it, so neither a forged annotation nor a write that bypassed
 * the webhook (an unwatched namespace, a webhook outage) reaches cluster rights. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import { sha256Hex, stableJson } from './render/hash.js';
import { AgentJobSpec } from './schemas/agent-job.js';
import { PolicyRule } from './schemas/core.js';

/** What a signed record holds; `spec` is specDigest() of the spec that was authorized. */
export const AuthorizationRecord = v.object({
  user: v.string(),
  clusterAccess: v.string(),
  rules: v.array(PolicyRule),
  spec: v.string(),
  time: v.string(),
  signature: v.string(),
});
export type AuthorizationRecord = v.InferOutput<typeof AuthorizationRecord>;
export type Unsigned = Omit<AuthorizationRecord, 'signature'>;

/** The AgentJob a record belongs to: a record copied onto another AgentJob does not verify. */
export interface Subject {
  namespace: string;
  name: string;
}

/** Why a record cannot be used; each reads after "the authorization ...". */
export type Invalid = 'missing' | 'unreadable' | 'forged';

export type Verified = { ok: true; record: AuthorizationRecord } | { ok: false; problem: Invalid };

const FORMAT = 1;

function mac(key: Buffer, subject: Subject, fields: Unsigned): string {
  const payload = stableJson({ format: FORMAT, namespace: subject.namespace, name: subject.name, ...fields });
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** The annotation value for an authorization of `fields` on `subject`. */
export function signAuthorization(key: Buffer, subject: Subject, fields: Unsigned): string {
  const record: AuthorizationRecord = { ...fields, signature: mac(key, subject, fields) };
  return JSON.stringify(record);
}

/** Reads an annotation value and checks its signature for `subject`. */
export function verifyAuthorization(key: Buffer, subject: Subject, value: string | undefined): Verified {
  if (value === undefined || value === '') return { ok: false, problem: 'missing' };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return { ok: false, problem: 'unreadable' };
  }
  const parsed = v.safeParse(AuthorizationRecord, raw);
  if (!parsed.success) return { ok: false, problem: 'unreadable' };
  const { signature, ...fields } = parsed.output;
  const expected = Buffer.from(mac(key, subject, fields));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, problem: 'forged' };
  return { ok: true, record: parsed.output };
}

const specEntries = (AgentJobSpec as unknown as v.ObjectSchema<v.ObjectEntries, undefined>).entries;

/**
 * A digest of a parsed AgentJob spec. Fields at their default are left out, so a later version
 * that adds a field with a default (which the API server then shows on every stored object) keeps
 * every recorded authorization valid.
 */
export function specDigest(spec: AgentJobSpec): string {
  const kept = Object.entries(spec).filter(([key, value]) => {
    const fallback = (specEntries[key] as { default?: unknown } | undefined)?.default;
    return value !== undefined && (fallback === undefined || stableJson(value) !== stableJson(fallback));
  });
  return sha256Hex(stableJson(Object.fromEntries(kept)));
}

/** Second precision, as Kubernetes writes timestamps. */
export const authorizationTime = (now: Date) => now.toISOString().replace(/\.\d{3}Z$/, 'Z');
