/** Structured JSON logs (pino) with secrets redacted wherever they might appear. */
import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(
  service: string,
  level: LogLevel = 'info',
  destination?: pino.DestinationStream,
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
