/**
 * The mutating decision for AgentJobs: the schema's defaults, the namespace's default runtime,
 * auth and role where a reference is omitted, duplicate references removed. The patch is computed
 * against the object exactly as received, so fields this code does not know are never touched.
 */
import type * as v from 'valibot';
import { REFERENCE_FIELDS } from '../shared/api.js';
import { withDefaults } from '../shared/defaults.js';
import { ANNOTATION_DEFAULT } from '../shared/labels.js';
import { AgentJobSpec } from '../shared/schemas/agent-job.js';
import { diff, type PatchOperation } from './json-patch.js';
import type { Lookups } from './lookups.js';
import { type AdmissionRequest, nameOf } from './review.js';

export type MutateResult = { allowed: true; patch: PatchOperation[] } | { allowed: false; message: string };

const entries = (AgentJobSpec as unknown as v.ObjectSchema<v.ObjectEntries, undefined>).entries;
/** The references the schema requires: those a namespace default can fill in. */
export const DEFAULTABLE = REFERENCE_FIELDS.filter((r) => entries[r.field]?.type !== 'optional');
const LISTS = REFERENCE_FIELDS.filter((r) => r.many).map((r) => r.field);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const dedupe = (list: unknown) => (Array.isArray(list) ? [...new Set(list)] : list);

export async function mutate(
  request: AdmissionRequest,
  lookups: Lookups,
  signal: AbortSignal,
): Promise<MutateResult> {
  const object = request.object;
  const applies =
    request.kind.kind === 'AgentJob' && (request.operation === 'CREATE' || request.operation === 'UPDATE');
  // An object on its way out only loses finalizers; changing it then would only get in the way.
  if (!applies || !object || object.metadata?.deletionTimestamp) return { allowed: true, patch: [] };
  // A spec that is not an object is left for the schema to reject with a clear message.
  const received = object.spec ?? {};
  if (!isRecord(received)) return { allowed: true, patch: [] };

  const spec: Record<string, unknown> = withDefaults(AgentJobSpec, received);
  const conflicts: string[] = [];
  await Promise.all(
    DEFAULTABLE.filter((ref) => spec[ref.field] === undefined).map(async (ref) => {
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
  return { allowed: true, patch: diff(object, { ...object, spec }) };
}
