/**
 * The mutating decision for AgentJobs: the schema's defaults, the namespace's default runtime,
 * auth and role where a reference is omitted, duplicate references removed. The patch is computed
 * against the object exactly as received, so fields this code does not know are never touched.
 */
import type * as v from 'valibot';
import { REFERENCE_FIELDS } from '../shared/api.js';
import { isPlainObject } from '../shared/equality.js';
import { ANNOTATION_AUTHORIZATION, ANNOTATION_DEFAULT } from '../shared/labels.js';
import { AgentJobSpec } from '../shared/schemas/agent-job.js';
import { recordAuthorization } from './authorization.js';
import { withDefaults } from './defaults.js';
import { diff, type PatchOperation } from './json-patch.js';
import type { Lookups } from './lookups.js';
import { type AdmissionRequest, nameOf } from './review.js';
import type { Settings } from './verdict.js';

export type MutateResult = { allowed: true; patch: PatchOperation[] } | { allowed: false; message: string };

const entries = (AgentJobSpec as unknown as v.ObjectSchema<v.ObjectEntries, undefined>).entries;
/** The references the schema requires: those a namespace default can fill in. */
export const DEFAULTABLE = REFERENCE_FIELDS.filter((r) => entries[r.field]?.type !== 'optional');
const LISTS = REFERENCE_FIELDS.filter((r) => r.many).map((r) => r.field);

const dedupe = (list: unknown) => (Array.isArray(list) ? [...new Set(list)] : list);

export async function mutate(
  request: AdmissionRequest,
  lookups: Lookups,
  signal: AbortSignal,
  settings: Pick<Settings, 'accessKey' | 'now'> = {},
): Promise<MutateResult> {
  const object = request.object;
  const applies =
    request.kind.kind === 'AgentJob' && (request.operation === 'CREATE' || request.operation === 'UPDATE');
  // An object on its way out only loses finalizers; changing it then would only get in the way.
  if (!applies || !object || object.metadata?.deletionTimestamp) return { allowed: true, patch: [] };
  // A spec that is not an object is left for the schema to reject with a clear message.
  const received = object.spec ?? {};
  if (!isPlainObject(received)) return { allowed: true, patch: [] };

  const spec: Record<string, unknown> = withDefaults(AgentJobSpec, received);
  const omitted = DEFAULTABLE.filter((ref) => spec[ref.field] === undefined);
  // Anyone who may edit thurkube objects here may move the default annotation; a run with
  // cluster access must not run whatever that currently points at.
  if (typeof spec.clusterAccessRef === 'string' && omitted.length > 0)
    return {
      allowed: false,
      message: `AgentJob "${nameOf(request)}" is invalid: ${omitted
        .map(
          (ref) =>
            `spec.${ref.field}: an AgentJob with a clusterAccessRef names its ${ref.kind} itself; namespace defaults are not used for it`,
        )
        .join('; ')}`,
    };
  const conflicts: string[] = [];
  await Promise.all(
    omitted.map(async (ref) => {
      const names = await lookups.defaults(ref.kind, request.namespace, signal);
      if (names.length === 1) spec[ref.field] = names[0];
      if (names.length > 1)
        conflicts.push(
          `spec.${ref.field} is omitted and namespace "${request.namespace}" has ${names.length} default ` +
            `${ref.kind}s (${names.join(', ')}); keep one annotated ${ANNOTATION_DEFAULT}: "true" or set spec.${ref.field}`,
        );
    }),
  );
  if (conflicts.length > 0)
    return {
      allowed: false,
      message: `AgentJob "${nameOf(request)}" is invalid: ${conflicts.sort().join('; ')}`,
    };
  for (const field of LISTS) if (spec[field] !== undefined) spec[field] = dedupe(spec[field]);
  const now = settings.now?.() ?? new Date();
  const recorded = await recordAuthorization(request, spec, lookups, settings.accessKey, now, signal);
  if (!recorded.ok)
    return {
      allowed: false,
      message: `AgentJob "${nameOf(request)}" is invalid: spec.clusterAccessRef: ${recorded.message}`,
    };
  const metadata = withAnnotation(object.metadata ?? {}, ANNOTATION_AUTHORIZATION, recorded.value);
  return { allowed: true, patch: diff(object, { ...object, metadata, spec }) };
}

/** `metadata` with `key` set to `value`, or without it when undefined; untouched when equal. */
function withAnnotation<M extends { annotations?: Record<string, string> }>(
  metadata: M,
  key: string,
  value: string | undefined,
): M {
  if (metadata.annotations?.[key] === value) return metadata;
  const { [key]: _dropped, ...others } = metadata.annotations ?? {};
  const annotations = value === undefined ? others : { ...others, [key]: value };
  return { ...metadata, annotations: Object.keys(annotations).length > 0 ? annotations : undefined };
}
