import { describe, expect, it } from 'vitest';
import { covers, deepEqual } from './equality.js';

describe('deepEqual', () => {
  it('compares objects key by key, in any order, and lists element by element', () => {
    expect(deepEqual({ a: 1, b: { c: [1, { d: 'x' }] } }, { b: { c: [1, { d: 'x' }] }, a: 1 })).toBe(true);
    expect(deepEqual({ l: [1, 2] }, { l: [2, 1] })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual({ a: '1' }, { a: 1 })).toBe(false);
  });

  it('counts a field set to undefined as absent, as JSON does, but not false, null or an empty list', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: false }, {})).toBe(false);
    expect(deepEqual({ a: null }, {})).toBe(false);
    expect(deepEqual({ a: [] }, {})).toBe(false);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual(undefined, {})).toBe(false);
  });
});

describe('covers', () => {
  it('ignores fields the server added', () => {
    expect(covers({ a: 1, b: { c: 2, d: 3 }, extra: true }, { a: 1, b: { c: 2 } })).toBe(true);
  });

  it('sees a changed value, a missing field and a different list length', () => {
    expect(covers({ a: 1 }, { a: 2 })).toBe(false);
    expect(covers({}, { a: 'x' })).toBe(false);
    expect(covers({ l: [1, 2] }, { l: [1] })).toBe(false);
    expect(covers({ l: [{ n: 'a', x: 1 }] }, { l: [{ n: 'b' }] })).toBe(false);
  });

  it('treats an empty list or object we apply as covered by an absent one', () => {
    expect(covers({}, { env: [], emptyDir: {} })).toBe(true);
    expect(covers({ env: [{ name: 'A' }] }, { env: [] })).toBe(false);
  });

  it('accepts a number given back as a string (quantities)', () => {
    expect(covers({ cpu: '2' }, { cpu: 2 })).toBe(true);
    expect(covers({ cpu: '3' }, { cpu: 2 })).toBe(false);
  });

  it('accepts false for an absent boolean the server omits', () => {
    expect(covers({}, { suspend: false })).toBe(true);
    expect(covers({}, { suspend: true })).toBe(false);
  });
});
