/**
 * Command-line flags of a service, read once at start-up: Node's parseArgs (strict: an unknown
 * flag is an error), and the value checks every service needs, each failing with an Invalid
 * ThurkubeError whose message names the flag and what it accepts.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ThurkubeError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Parses `argv` against `options` plus `--help`/`-h`; `undefined` when help was asked. */
export function readFlags(argv: string[], options: FlagOptions): FlagValues | undefined {
  let values: FlagValues;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new ThurkubeError('Invalid', (error as Error).message);
  }
  return values.help ? undefined : values;
}

/** A string flag's value (flags with a default always have one). */
export const text = (values: FlagValues, flag: string): string | undefined => {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
};

/** One of a few words: `--missing-refs: "maybe" is not deny or warn`. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  const choices = allowed.length === 2 ? `${allowed[0]} or ${allowed[1]}` : `one of ${allowed.join(', ')}`;
  throw new ThurkubeError('Invalid', `--${flag}: "${value}" is not ${choices}`);
}

export const bool = (flag: string, value: string | undefined): boolean =>
  oneOf(flag, value, ['true', 'false']) === 'true';

export const logLevel = (value: string | undefined): LogLevel => oneOf('log-level', value, LOG_LEVELS);

export function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ThurkubeError('Invalid', `--${flag}: "${value}" is not a positive whole number`);
  return n;
}

export function wholeNumber(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ThurkubeError('Invalid', `--${flag}: "${value}" is not a whole number from ${min} to ${max}`);
  return n;
}

/**
 * `HOST:PORT`, IPv6 hosts in brackets (`[::1]:8443`), `:PORT` for every address (as Go tools
 * write it); port 0 asks the system for a free one.
 */
export function hostPort(flag: string, value: string | undefined): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value ?? '');
  const port = Number(match?.[2]);
  if (!match || match[1] === undefined || port > 65_535)
    throw new ThurkubeError('Invalid', `--${flag}: "${value}" is not HOST:PORT, e.g. 127.0.0.1:8443`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}
