/**
 * Recording and checking who authorized an AgentJob's ClusterAccess (shared/authorization.ts).
 * The mutating webhook records, for every write that changes what runs with cluster access (a
 * create, a spec change, a new value of the authorize annotation), the writer and the rules of the
 * ClusterAccess, signed; any other write keeps the stored record, so no user can set or replace
 * it. The validating webhook then checks that the writer holds every rule recorded.
 */
import {
  type AuthorizationRecord,
  authorizationTime,
  signAuthorization,
  specDigest,
  verifyAuthorization,
} from '../shared/authorization.js';
import type { KubeObject } from '../shared/kube/client.js';
import { ANNOTATION_AUTHORIZATION, ANNOTATION_AUTHORIZE } from '../shared/labels.js';
import { parseSpec } from '../shared/objects.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';
import type { Lookups } from './lookups.js';
import type { AdmissionRequest } from './review.js';

const annotation = (o: KubeObject | null | undefined, key: string) => o?.metadata?.annotations?.[key];

/** A create, a changed spec or a new authorize value: the writer must hold the ClusterAccess. */
export function asksForAuthorization(request: AdmissionRequest, spec: AgentJobSpec): boolean {
  if (request.operation === 'CREATE' || !request.oldObject) return true;
  const old = parseSpec('AgentJob', request.oldObject.spec);
  if (!old.ok || specDigest(old.value) !== specDigest(spec)) return true;
  const object = request.object as KubeObject | undefined;
  return (
    annotation(object, ANNOTATION_AUTHORIZE) !==
    annotation(request.oldObject as KubeObject, ANNOTATION_AUTHORIZE)
  );
}

export type Recorded = { ok: true; value: string | undefined } | { ok: false; message: string };

/**
 * The value the authorization annotation gets on this write of an AgentJob whose spec, after
 * the other mutations, is `rawSpec`; undefined removes it.
 */
export async function recordAuthorization(
  request: AdmissionRequest,
  rawSpec: unknown,
  lookups: Lookups,
  key: Buffer | undefined,
  now: Date,
  signal: AbortSignal,
): Promise<Recorded> {
  const stored = annotation(request.oldObject as KubeObject | undefined, ANNOTATION_AUTHORIZATION);
  const parsed = parseSpec('AgentJob', rawSpec);
  // An invalid spec is refused by the validating webhook; what is stored stays as it is.
  if (!parsed.ok) return { ok: true, value: stored };
  const spec = parsed.value;
  if (!spec.clusterAccessRef) return { ok: true, value: undefined };
  if (!asksForAuthorization(request, spec)) return { ok: true, value: stored };
  const name = (request.object as KubeObject | undefined)?.metadata?.name || request.name;
  if (!name)
    return {
      ok: false,
      message:
        'an AgentJob with a clusterAccessRef needs metadata.name (its authorization is bound to its name; generateName is not supported)',
    };
  if (!key)
    return {
      ok: false,
      message: 'this admission webhook has no signing key for cluster-access authorizations',
    };
  const access = await lookups.object('ClusterAccess', request.namespace, spec.clusterAccessRef, signal);
  const rules = parseSpec('ClusterAccess', access?.spec);
  // Missing or invalid: nothing to authorize; the validating webhook says why.
  if (!rules.ok) return { ok: true, value: undefined };
  const value = signAuthorization(
    key,
    { namespace: request.namespace, name },
    {
      user: request.userInfo.username,
      clusterAccess: spec.clusterAccessRef,
      rules: rules.value.rules,
      spec: specDigest(spec),
      time: authorizationTime(now),
    },
  );
  return { ok: true, value };
}

export type Checked = { ok: true; record: AuthorizationRecord } | { ok: false; message: string };

/**
 * What the validating webhook requires of an AgentJob write that asks for authorization: the
 * record the mutating webhook just wrote, for this writer, this ClusterAccess and this spec.
 */
export function checkRecord(request: AdmissionRequest, spec: AgentJobSpec, key: Buffer | undefined): Checked {
  const object = request.object as KubeObject | undefined;
  const name = object?.metadata?.name || request.name;
  if (!key)
    return {
      ok: false,
      message: 'this admission webhook has no signing key for cluster-access authorizations',
    };
  const verified = verifyAuthorization(
    key,
    { namespace: request.namespace, name },
    annotation(object, ANNOTATION_AUTHORIZATION),
  );
  const hint = `is the thurkube mutating webhook registered for agentjobs? (annotation ${ANNOTATION_AUTHORIZATION})`;
  if (!verified.ok) return { ok: false, message: `no authorization was recorded for this write: ${hint}` };
  const { record } = verified;
  if (record.user !== request.userInfo.username || record.clusterAccess !== spec.clusterAccessRef)
    return { ok: false, message: `the recorded authorization is not this write's: ${hint}` };
  if (record.spec !== specDigest(spec))
    return {
      ok: false,
      message:
        'the spec changed after the thurkube mutating webhook authorized it (by another mutating webhook?)',
    };
  return { ok: true, record };
}
