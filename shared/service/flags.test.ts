import { describe, expect, it } from 'vitest';
import { bool, hostPort, logLevel, oneOf, positiveInt, readFlags, text } from './flags.js';

describe('service flags', () => {
  it('reads string flags with their defaults, and knows --help and -h', () => {
    const options = {
      listen: { type: 'string', default: '0.0.0.0:8443' },
      name: { type: 'string' },
    } as const;
    const values = readFlags(['--name=x'], options);
    expect(values && [text(values, 'listen'), text(values, 'name')]).toEqual(['0.0.0.0:8443', 'x']);
    expect(readFlags(['--help'], options)).toBeUndefined();
    expect(readFlags(['-h'], options)).toBeUndefined();
  });

  it('refuses unknown flags and positional arguments as Invalid', () => {
    expect(() => readFlags(['--bogus'], {})).toThrow(expect.objectContaining({ kind: 'Invalid' }));
    expect(() => readFlags(['--bogus'], {})).toThrow("Unknown option '--bogus'");
    expect(() => readFlags(['stray'], {})).toThrow(/positional/);
  });

  it('says what a flag accepts: two words, a list, a boolean, a log level, a number', () => {
    expect(() => oneOf('missing-refs', 'maybe', ['deny', 'warn'])).toThrow(
      '--missing-refs: "maybe" is not deny or warn',
    );
    expect(oneOf('missing-refs', 'warn', ['deny', 'warn'])).toBe('warn');
    expect([bool('leader-elect', 'true'), bool('leader-elect', 'false')]).toEqual([true, false]);
    expect(() => bool('leader-elect', 'yes')).toThrow('--leader-elect: "yes" is not true or false');
    expect(logLevel('debug')).toBe('debug');
    expect(() => logLevel('loud')).toThrow(
      '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(positiveInt('concurrency', '8')).toBe(8);
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => positiveInt('concurrency', bad)).toThrow(
        `--concurrency: "${bad}" is not a positive whole number`,
      );
  });

  it('reads HOST:PORT, bracketed IPv6, and :PORT for every address', () => {
    expect(hostPort('listen', '127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(hostPort('listen', '[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(hostPort('metrics-bind', ':8080')).toEqual({ host: '', port: 8080 });
    expect(() => hostPort('listen', '8443')).toThrow(
      '--listen: "8443" is not HOST:PORT, e.g. 127.0.0.1:8443',
    );
    expect(() => hostPort('listen', 'h:99999')).toThrow('--listen: "h:99999" is not HOST:PORT');
    expect(() => hostPort('listen', 'h:')).toThrow('--listen: "h:" is not HOST:PORT');
  });
});
