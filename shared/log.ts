/**
 * Structured JSON logs: one line per record, `{"level","time","service",...fields,"msg"}`, with
 * secrets redacted wherever they might appear. Our own rather than pino: the services use five
 * methods of it; without pino and its streams the controller starts in 0.4-2.6 MiB less (README
 * "Performance") and the webhook's review line costs 2.4 instead of 3.0-4.5 µs. The line format
 * is pino's with level labels and ISO times, so log pipelines that read one read the other.
 */
import { writeSync } from 'node:fs';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/** Where the lines go: each call gets one whole line, newline included. */
export interface LogDestination {
  write(line: string): unknown;
}

type Fields = Record<string, unknown>;
type Emit = (fieldsOrMessage: Fields | string, message?: string) => void;

/** What stands for a hidden secret, in log lines and in run results (results.ts). */
export const REDACTED = '[redacted]';
/** Fields that may hold a Secret's values, at the top of a record and one object down. */
const SECRET_TOP = new Set(['data', 'stringData', 'token']);
const SECRET_NESTED = new Set(['data', 'stringData', 'token', 'password', 'key']);

function redactNested(key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let copy: Fields | undefined;
  for (const k of Object.keys(value)) {
    if (SECRET_NESTED.has(k) || (key === 'headers' && k.toLowerCase() === 'authorization')) {
      copy ??= { ...(value as Fields) };
      copy[k] = REDACTED;
    }
  }
  return copy ?? value;
}

const redact = (key: string, value: unknown) => (SECRET_TOP.has(key) ? REDACTED : redactNested(key, value));

/** A value as JSON; an Error by its name and message; never a throw (a cycle, a BigInt). */
function json(value: unknown): string {
  // Scalars first: the webhook writes a line of them per review, thousands a second.
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Error) return JSON.stringify({ type: value.name, message: value.message });
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}

/** `,"key":` of each field name seen, made once: the same few names recur on every line. */
const keys = new Map<string, string>();
function quoted(key: string): string {
  let text = keys.get(key);
  if (text === undefined) {
    text = `,${JSON.stringify(key)}:`;
    if (keys.size < 1000) keys.set(key, text);
  }
  return text;
}

/** The current time as an ISO string, made once per millisecond: under load many lines share one. */
let isoMs = Number.NaN;
let isoText = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

export class Logger {
  readonly fatal: Emit = (a, b) => this.emit('fatal', a, b);
  readonly error: Emit = (a, b) => this.emit('error', a, b);
  readonly warn: Emit = (a, b) => this.emit('warn', a, b);
  readonly info: Emit = (a, b) => this.emit('info', a, b);
  readonly debug: Emit = (a, b) => this.emit('debug', a, b);
  readonly trace: Emit = (a, b) => this.emit('trace', a, b);

  /** `bound`: the serialized fields of every line (`,"service":"controller"`). */
  constructor(
    readonly level: LogLevel,
    private readonly out: LogDestination,
    private readonly bound: string,
    private readonly redacting: boolean,
  ) {}

  isLevelEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= SEVERITY[this.level] && level !== 'silent';
  }

  /**
   * A logger that adds `fields` to every line. `redact: false` skips the redaction pass, for
   * lines made only of scalars picked by the caller (the webhook's review line, many per second).
   */
  child(fields: Fields, options: { redact?: boolean } = {}): Logger {
    return new Logger(
      this.level,
      this.out,
      this.bound + this.fields(fields),
      options.redact ?? this.redacting,
    );
  }

  private fields(fields: Fields): string {
    let text = '';
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      text += `${quoted(key)}${json(this.redacting ? redact(key, value) : value)}`;
    }
    return text;
  }

  private emit(level: LogLevel, a: Fields | string, b?: string): void {
    if (!this.isLevelEnabled(level)) return;
    const [fields, message] = typeof a === 'string' ? [undefined, a] : [a, b];
    let line = `{"level":"${level}","time":"${isoNow()}"${this.bound}`;
    if (fields) line += this.fields(fields);
    if (message !== undefined) line += `,"msg":${JSON.stringify(message)}`;
    this.out.write(`${line}}\n`);
  }
}

/** All of `text` to `fd`, waiting out a full non-blocking pipe; a closed one drops it. */
function writeAll(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return; // nowhere left to say it
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** How long a line may wait to be written with others, and how much may wait at most. */
export const LOG_BATCH_MS = 20;
export const LOG_BATCH_BYTES = 64 * 1024;

/**
 * A file descriptor (standard output by default) written in batches: a line waits at most
 * LOG_BATCH_MS, or until LOG_BATCH_BYTES are pending, so that under load the lines of hundreds of
 * reviews go out in one system call instead of one each (a write per line, or even per turn of
 * the event loop, cost the webhook about as much as its decision). Lines still pending when the
 * process exits, a crash included, are written then; only a SIGKILL loses the last few.
 */
export function batchedDestination(fd = 1): LogDestination {
  const known = batched.get(fd);
  if (known) return known;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const text = pending;
    pending = '';
    writeAll(fd, text);
  };
  process.on('exit', flush);
  const destination = {
    write(line: string) {
      pending += line;
      if (pending.length >= LOG_BATCH_BYTES) flush();
      else if (!timer) timer = setTimeout(flush, LOG_BATCH_MS).unref();
    },
  };
  batched.set(fd, destination);
  return destination;
}

/** One batch per file descriptor, however many loggers write to it. */
const batched = new Map<number, LogDestination>();

export function createLogger(
  service: string,
  level: LogLevel = 'info',
  destination: LogDestination = batchedDestination(),
): Logger {
  return new Logger(level, destination, `,"service":${JSON.stringify(service)}`, true);
}
