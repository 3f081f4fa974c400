import { describe, expect, it } from 'vitest';
import { parseV8Flags } from './v8-flags.js';

describe('THURKUBE_V8_FLAGS', () => {
  it('reads space-separated flags, with or without values; nothing when unset or empty', () => {
    expect(parseV8Flags('--no-opt  --optimize-for-size --stack-size=900')).toEqual([
      '--no-opt',
      '--optimize-for-size',
      '--stack-size=900',
    ]);
    expect(parseV8Flags(undefined)).toEqual([]);
    expect(parseV8Flags(' ')).toEqual([]);
  });

  it('refuses what is not a flag, naming it and the variable', () => {
    expect(() => parseV8Flags('--no-opt optimize-for-size')).toThrow(
      /THURKUBE_V8_FLAGS: "optimize-for-size" is not a V8 flag/,
    );
    expect(() => parseV8Flags('--')).toThrow(/"--" is not a V8 flag/);
  });
});
