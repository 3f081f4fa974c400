/**
 * The process around a service: flags, start, signals, exit code. Each service (admission,
 * controller, and whatever comes next) only says how to read its flags and how to start; the
 * shell behaves the same for all of them:
 * - `--help`: the usage on stdout, exit 0;
 * - a bad flag: `thurkube <name>: <why>` and the usage on stderr, exit 2;
 * - a start that fails: `thurkube <name>: <why>` on stderr, exit 1;
 * - SIGTERM or SIGINT: a log line, a graceful stop, exit 0.
 */
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';

export interface Running {
  logger: Logger;
  /** Stops gracefully: finishes the work in flight. */
  stop(): Promise<void>;
}

export interface Service<Config> {
  name: string;
  usage: string;
  /** The flags read into a config; `undefined` for --help; throws an Invalid error for bad flags. */
  parse(argv: string[], env: NodeJS.ProcessEnv): Config | undefined;
  start(config: Config): Promise<Running>;
  /** Logged when a signal arrives: what a stop finishes. */
  stopping: string;
  /** Log an unhandled rejection and keep serving, instead of exiting (a webhook every apply needs). */
  survivesUnhandledRejections?: boolean;
}

export async function runService<Config>(service: Service<Config>, argv: string[]): Promise<number> {
  const prefix = `thurkube ${service.name}`;
  let config: Config | undefined;
  try {
    config = service.parse(argv, process.env);
  } catch (error) {
    console.error(`${prefix}: ${messageOf(error)}\n\n${service.usage}`);
    return 2;
  }
  if (config === undefined) {
    console.log(service.usage);
    return 0;
  }
  let running: Running;
  try {
    running = await service.start(config);
  } catch (error) {
    console.error(`${prefix}: ${messageOf(error)}`);
    return 1;
  }
  if (service.survivesUnhandledRejections)
    process.on('unhandledRejection', (reason) =>
      running.logger.error({ error: messageOf(reason) }, 'unhandled rejection'),
    );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (received: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(received);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  running.logger.info({ signal }, service.stopping);
  await running.stop();
  return 0;
}
