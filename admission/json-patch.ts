/**
 * A small RFC 6902 diff: the operations that turn `from` into `to`. Objects are compared key by
 * key, so fields the webhook did not touch (unknown ones included) never appear; an array that
 * changed is replaced whole, which is always valid and keeps the patch easy to read.
 */
import { deepEqual, isPlainObject } from '../shared/equality.js';

export type PatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** RFC 6901: `~` and `/` inside a key are escaped. */
export const pointer = (path: string, key: string) =>
  `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

export function diff(from: unknown, to: unknown, path = ''): PatchOperation[] {
  if (deepEqual(from, to)) return [];
  if (!isPlainObject(from) || !isPlainObject(to)) return [{ op: 'replace', path, value: to }];
  const ops: PatchOperation[] = [];
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && to[key] === undefined)
      ops.push({ op: 'remove', path: pointer(path, key) });
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    if (from[key] === undefined) ops.push({ op: 'add', path: pointer(path, key), value });
    else ops.push(...diff(from[key], value, pointer(path, key)));
  }
  return ops;
}
