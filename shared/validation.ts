/** Parsing with errors a person can act on: every problem, each with its field path. */
import * as v from 'valibot';

export interface FieldIssue {
  /** e.g. `spec.env[0].name` */
  path: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export function fieldPath(prefix: string, issue: v.BaseIssue<unknown>): string {
  let path = prefix;
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  return path || '<root>';
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.kind !== 'schema') return issue.message;
  if (issue.received === 'undefined') return 'required';
  if (issue.type === 'union' || issue.type === 'picklist')
    return `${issue.message.replace(/^Invalid type: /, '')}`;
  return `must be ${article(issue.expected ?? 'a value')}, not ${issue.received}`;
}

function article(expected: string): string {
  if (expected === 'Object') return 'an object';
  if (expected === 'Array') return 'a list';
  if (expected === 'string') return 'a string';
  if (expected === 'number') return 'a number';
  if (expected === 'boolean') return 'true or false';
  return expected;
}

export function toFieldIssues(prefix: string, issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const seen = new Set<string>();
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const item = { path: fieldPath(prefix, issue), message: describeIssue(issue) };
    const key = `${item.path}\0${item.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(item);
    }
  }
  return out;
}

/** Parses `value` with `schema`, reporting every problem under `prefix` (usually "spec"). */
export function parseWith<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  prefix: string,
): Parsed<v.InferOutput<S>> {
  const result = v.safeParse(schema, value, { abortEarly: false });
  if (result.success) return { ok: true, value: result.output };
  return { ok: false, issues: toFieldIssues(prefix, result.issues) };
}

export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
