import * as v from 'valibot';

/**
 * Extra facts a CRD needs that valibot cannot express by itself. The CRD generator reads them from
 * `v.metadata(...)`; validation at run time uses the matching `v.check` written beside them, so the
 * API server and our own code enforce the same rule.
 */
export type CrdHints = {
  /** CEL rules (`x-kubernetes-validations`) the API server enforces without our webhook. */
  celRules?: { rule: string; message?: string; messageExpression?: string }[];
  /** A Kubernetes quantity or port: the API server stores it as given, integer or string. */
  intOrString?: boolean;
  /** OpenAPI string format, e.g. `date-time`. */
  format?: string;
  /** `x-kubernetes-list-type`: `map` lists merge by key under server-side apply. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /**
   * The field's default holds when it is absent, but is never written into objects: neither the
   * CRD nor the webhook fills it in. Fields added after the API shipped use this, so a stored
   * AgentJob reads the same before and after an upgrade, and a digest of its spec with defaults
   * left out does not change.
   */
  implicitDefault?: boolean;
};

export const hints = <TInput>(value: CrdHints) => v.metadata<TInput, CrdHints>(value);

/** The name of another object in the same namespace. */
export const objectName = (description: string) =>
  v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.description(description));

/** A string that must say something when present. */
export const nonEmpty = (description: string) =>
  v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.description(description));

export const text = (description: string) => v.pipe(v.string(), v.description(description));

export const flag = (description: string) => v.pipe(v.boolean(), v.description(description));

export const stringList = (description: string, itemDescription = 'One entry.') =>
  v.pipe(v.array(v.pipe(v.string(), v.description(itemDescription))), v.description(description));

export const integer = (description: string, min?: number) =>
  min === undefined
    ? v.pipe(v.number(), v.integer('must be a whole number'), v.description(description))
    : v.pipe(
        v.number(),
        v.integer('must be a whole number'),
        v.minValue(min, `must be at least ${min}`),
        v.description(description),
      );

/** A whole number in [min, max]. */
export const boundedInteger = (description: string, min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
    v.description(description),
  );

/** Marks a field whose default is applied when parsing but never stored (see CrdHints). */
export const implicitDefault = <TInput>() => hints<TInput>({ implicitDefault: true });

/** RFC 3339 timestamp as the API server writes it. */
export const timestamp = (description: string) =>
  v.pipe(v.string(), hints({ format: 'date-time' }), v.description(description));

/** A DNS-1123 subdomain, as Kubernetes names most objects (a Secret, say): at most 253 characters. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An absolute path with no `..` step, as a container mount path must be. */
export const absolutePath = (description: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\/.+/, 'must be an absolute path other than /, e.g. /etc/claude-code-job'),
    v.check((path) => !path.split('/').includes('..'), 'must not contain a .. step'),
    v.description(description),
  );

/** An environment variable name as Kubernetes 1.36 takes it: printable ASCII, no `=`. */
export const envVarName = (description: string) =>
  v.pipe(
    v.string(),
    v.regex(/^[ -<>-~]+$/, 'must be printable ASCII characters other than "="'),
    v.description(description),
  );
