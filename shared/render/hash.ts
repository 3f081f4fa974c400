import { createHash } from 'node:crypto';
import { CONFIG_HASH_LENGTH } from '../names.js';

/**
 * JSON with object keys sorted, so equal values always give equal bytes. Every reconcile hashes its
 * rendered pod with it. Without V8's optimising compilers (the controller's flags) building the
 * text in JavaScript cost 250-300 µs and 53 KiB of garbage for a 2 KB pod; so a copy whose objects
 * have their keys in order (objects in order already are kept) goes to JSON.stringify, which
 * writes members in insertion order: 100-120 µs and 19 KiB. Values plain JSON would write
 * differently (see inKeyOrder) go the walk's way: the bytes must stay the walk's, since Job names
 * carry the hash.
 */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return walk(value);
  const sorted = inKeyOrder(value);
  return sorted === UNLIKE_JSON ? walk(value) : JSON.stringify(sorted);
}

/** inKeyOrder met a value JSON.stringify would not write as the walk does. */
const UNLIKE_JSON = Symbol('unlike JSON');

/**
 * `value` with every object's keys in sorted order; the same objects where they were already.
 * UNLIKE_JSON for what a copy cannot hold in that order (a key starting with a digit: objects
 * list integer keys first, whatever the order they were set in) and for what JSON.stringify
 * writes unlike the walk: an undefined array element, a function, a symbol, a Date or other class,
 * a toJSON method (own or inherited), and a "__proto__" key. Getters are read twice: values are data.
 * Written as plain loops: this runs interpreted in the controller.
 */
function inKeyOrder(value: object): unknown {
  return Array.isArray(value) ? arrayInKeyOrder(value) : objectInKeyOrder(value);
}

function arrayInKeyOrder(array: unknown[]): unknown {
  if ('toJSON' in array) return UNLIKE_JSON;
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const type = typeof item;
    // No helper call per member: interpreted, that doubled the time.
    if (type !== 'object' || item === null) {
      if (type === 'undefined' || type === 'function' || type === 'symbol') return UNLIKE_JSON;
      continue;
    }
    const sorted = Array.isArray(item) ? arrayInKeyOrder(item) : objectInKeyOrder(item as object);
    if (sorted === UNLIKE_JSON) return UNLIKE_JSON;
    if (sorted !== item) {
      copy ??= array.slice();
      copy[i] = sorted;
    }
  }
  return copy ?? array;
}

function objectInKeyOrder(value: object): unknown {
  // A Date, a Map, any class (a null prototype or an own "constructor" key too: the walk is right
  // for anything, just slower).
  if (value.constructor !== Object || 'toJSON' in value) return UNLIKE_JSON;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  let ordered = true;
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key >= '0' && key < ':') return UNLIKE_JSON; // starts with a digit
    if (i > 0 && (keys[i - 1] as string) > key) ordered = false;
    const item = object[key];
    const type = typeof item;
    if (type !== 'object' || item === null) {
      if (type === 'function' || type === 'symbol') return UNLIKE_JSON;
      continue;
    }
    const sorted = Array.isArray(item) ? arrayInKeyOrder(item) : objectInKeyOrder(item as object);
    if (sorted === UNLIKE_JSON) return UNLIKE_JSON;
    if (sorted !== item) {
      copy ??= { ...object };
      copy[key] = sorted;
    }
  }
  return ordered ? (copy ?? object) : withKeysSorted(copy ?? object, keys);
}

function withKeysSorted(object: Record<string, unknown>, keys: string[]): unknown {
  // An assignment of "__proto__" sets the copy's prototype, not a key.
  if (keys.includes('__proto__')) return UNLIKE_JSON;
  const out: Record<string, unknown> = {};
  keys.sort();
  for (let i = 0; i < keys.length; i++) out[keys[i] as string] = object[keys[i] as string];
  return out;
}

/** The same bytes, by a walk; for any value, whatever it holds. */
function walk(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += `${i > 0 ? ',' : ''}${walk(value[i]) ?? ''}`;
    return `${text}]`;
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    let text = '{';
    for (const key of Object.keys(object).sort()) {
      const v = object[key];
      if (v === undefined) continue;
      text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${walk(v)}`;
    }
    return `${text}}`;
  }
  return JSON.stringify(value);
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * First 16 hex digits of the SHA-256 of what changes a run: the rendered agent.json and the pod
 * the run gets (image, command, env, resources, mounts, service account) and its time limit. A
 * one-shot AgentJob whose hash changes gets a new Job, a new run; a Job's template cannot be
 * edited in place, so anything in it must be part of the hash.
 */
export function configHash(agentJson: string, runInputs: unknown): string {
  return sha256Hex(`${agentJson}\n${stableJson(runInputs)}`).slice(0, CONFIG_HASH_LENGTH);
}
