/**
 * Turns a valibot schema into a structural OpenAPI v3 schema, the form a CRD needs. Only the
 * shapes our API uses are supported; anything else throws, so an untyped field can never slip
 * into a CRD unnoticed.
 */
import type * as v from 'valibot';
import type { CrdHints } from '../schemas/fields.js';

export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  additionalProperties?: OpenApiSchema;
  enum?: string[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: NonNullable<CrdHints['celRules']>;
}

type AnySchema = v.GenericSchema & {
  pipe?: ({ kind: string; type: string } & Record<string, unknown>)[];
  wrapped?: AnySchema;
  default?: unknown;
  entries?: Record<string, AnySchema>;
  item?: AnySchema;
  value?: AnySchema;
  options?: (AnySchema | string)[];
  rest?: AnySchema;
};

export class UnsupportedSchemaError extends Error {}

export function toOpenApi(schema: v.GenericSchema, path = '<root>'): OpenApiSchema {
  const s = schema as AnySchema;
  if (s.type === 'optional') {
    if (!s.wrapped) throw new UnsupportedSchemaError(`${path}: optional without a wrapped schema`);
    const inner = toOpenApi(s.wrapped, path);
    if (s.default === undefined || hintsOf(s.wrapped).implicitDefault) return inner;
    return { ...inner, default: structuredClone(s.default) };
  }
  const out: OpenApiSchema = shapeOf(s, path);
  for (const action of actionsOf(s)) applyAction(out, action, path);
  return out;
}

type Action = { kind: string; type: string } & Record<string, unknown>;

/** A schema's pipe actions in order, those of pipes nested in it (`v.pipe(v.pipe(...), ...)`) first. */
function actionsOf(s: AnySchema): Action[] {
  const out: Action[] = [];
  for (const action of s.pipe ?? []) {
    if (action.kind === 'schema') out.push(...actionsOf(action as unknown as AnySchema));
    else out.push(action);
  }
  return out;
}

function shapeOf(s: AnySchema, path: string): OpenApiSchema {
  switch (s.type) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return { type: 'number' };
    case 'picklist':
      return { type: 'string', enum: [...(s.options as string[])] };
    case 'array':
      return { type: 'array', items: toOpenApi(s.item as AnySchema, `${path}[]`) };
    case 'record':
      return { type: 'object', additionalProperties: toOpenApi(s.value as AnySchema, `${path}{}`) };
    case 'union':
      // The only union in the API is Kubernetes' IntOrString (quantities), marked by a hint.
      if (hintsOf(s).intOrString) return { 'x-kubernetes-int-or-string': true };
      throw new UnsupportedSchemaError(`${path}: unions other than int-or-string have no structural form`);
    case 'object':
      return objectShape(s, path);
    case 'object_with_rest':
      // A structural schema cannot have both properties and additionalProperties: the other keys
      // are kept as they are, and our own code (which writes them) checks that they are strings.
      if (s.rest?.type !== 'string')
        throw new UnsupportedSchemaError(`${path}: only string values are supported for other keys`);
      return { ...objectShape(s, path), 'x-kubernetes-preserve-unknown-fields': true };
    default:
      throw new UnsupportedSchemaError(`${path}: valibot schema type "${s.type}" has no CRD form`);
  }
}

function objectShape(s: AnySchema, path: string): OpenApiSchema {
  const properties: Record<string, OpenApiSchema> = {};
  const required: string[] = [];
  for (const [key, entry] of Object.entries(s.entries ?? {})) {
    properties[key] = toOpenApi(entry, `${path}.${key}`);
    if (entry.type !== 'optional') required.push(key);
  }
  return required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };
}

function hintsOf(s: AnySchema): CrdHints {
  const merged: CrdHints = {};
  for (const action of actionsOf(s)) {
    if (action.type === 'metadata') Object.assign(merged, action.metadata as CrdHints);
  }
  return merged;
}

function applyAction(out: OpenApiSchema, action: Action, path: string) {
  switch (action.type) {
    case 'description':
      out.description = action.description as string;
      return;
    case 'metadata': {
      const h = action.metadata as CrdHints;
      if (h.format) out.format = h.format;
      if (h.listType) out['x-kubernetes-list-type'] = h.listType;
      if (h.listMapKeys) out['x-kubernetes-list-map-keys'] = h.listMapKeys;
      if (h.celRules)
        out['x-kubernetes-validations'] = [...(out['x-kubernetes-validations'] ?? []), ...h.celRules];
      return;
    }
    case 'min_length':
      if (out.type === 'array') out.minItems = action.requirement as number;
      else out.minLength = action.requirement as number;
      return;
    case 'max_length':
      out.maxLength = action.requirement as number;
      return;
    case 'integer':
      out.type = 'integer';
      out.format = 'int64';
      return;
    case 'min_value':
      out.minimum = action.requirement as number;
      return;
    case 'max_value':
      out.maximum = action.requirement as number;
      return;
    case 'regex':
      out.pattern = (action.requirement as RegExp).source;
      return;
    case 'check':
      // Cross-field checks run in our code; the CRD carries them as the CEL rule written beside them.
      return;
    default:
      if (action.kind === 'schema') return;
      throw new UnsupportedSchemaError(`${path}: pipe action "${action.type}" has no CRD form`);
  }
}
