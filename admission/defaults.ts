/**
 * Applies the schema's defaults to a raw object without otherwise touching it: unknown fields
 * stay, present values are kept as they are. The admission webhook patches exactly these
 * additions, so its defaults are always the ones the CRD declares.
 */
import type * as v from 'valibot';
import type { CrdHints } from '../shared/schemas/fields.js';

type Node = v.GenericSchema & {
  wrapped?: Node;
  default?: unknown;
  entries?: Record<string, Node>;
  pipe?: (Node & { kind: string; metadata?: CrdHints })[];
};

/** Metadata hints anywhere in a schema's pipe, nested pipes included. */
const hinted = (node: Node | undefined): boolean =>
  !!node?.pipe?.some((a) => (a.kind === 'schema' ? a !== node && hinted(a) : !!a.metadata?.implicitDefault));

/** A default the schema applies when parsing but never writes into an object (CrdHints). */
const isImplicit = (entry: Node) => hinted(entry.wrapped);

function unwrap(schema: Node): Node {
  return schema.type === 'optional' && schema.wrapped ? unwrap(schema.wrapped) : schema;
}

/** Returns a copy of `value` with defaults filled in where fields are absent. */
export function withDefaults<T>(schema: v.GenericSchema, value: T): T {
  const node = unwrap(schema as Node);
  if (node.type !== 'object' || !node.entries) return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, entry] of Object.entries(node.entries)) {
    if (out[key] === undefined) {
      if (entry.type === 'optional' && entry.default !== undefined && !isImplicit(entry))
        out[key] = structuredClone(entry.default);
    } else {
      out[key] = withDefaults(entry, out[key]);
    }
  }
  return out as T;
}
