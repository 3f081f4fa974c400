/** Structured JSON logs (pino) with secrets redacted wherever they might appear. */
import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A file descriptor (standard output by default) written once per turn of the event loop: under
 * load the lines of many reviews go out in one system call instead of one each, which cost the
 * webhook more than its decision. A line waits only until the callbacks running now are done;
 * lines still pending when the process exits are written then.
 */
export function batchedDestination(fd = 1): pino.DestinationStream {
  const known = batched.get(fd);
  if (known) return known;
  const out = pino.destination({ fd, sync: true });
  let pending = '';
  const flush = () => {
    if (!pending) return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  process.on('exit', flush);
  const destination = {
    write(line: string) {
      if (!pending) setImmediate(flush);
      pending += line;
    },
  };
  batched.set(fd, destination);
  return destination;
}

/** One batch per file descriptor, however many loggers write to it. */
const batched = new Map<number, pino.DestinationStream>();

export function createLogger(
  service: string,
  level: LogLevel = 'info',
  destination: pino.DestinationStream = batchedDestination(),
): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Secret values never reach a log line, even if a whole object is logged by mistake.
      redact: {
        paths: [
          '*.data',
          '*.stringData',
          'data',
          'stringData',
          '*.token',
          'token',
          '*.password',
          '*.key',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
