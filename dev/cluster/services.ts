/**
 * Runs a thurkube service (`thurkube controller`, `thurkube admission`) as its own process, the
 * way the image runs it, for `npm start`, the e2e suite and the benchmarks (which measure its
 * memory), and stops it by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { V8_FLAGS_ENV } from '../../shared/service/v8-flags.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Service {
  child: ChildProcess;
  pid: number;
  /** Lines the service logged (JSON), for ports and diagnostics. */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * `source`: the TypeScript sources through tsx (always current). `compiled`: dist/ from
 * `npm run build`, what the image runs; the benchmarks build it first and measure that.
 */
export type Build = 'source' | 'compiled';

/** What the image sets (Dockerfile ENV NODE_OPTIONS); compiled services run with it here too. */
export const IMAGE_NODE_OPTIONS = '--max-semi-space-size=2';
/** What the chart sets for the controller (values.yaml controller.nodeOptions), replacing the above. */
export const CONTROLLER_NODE_OPTIONS = '--max-semi-space-size=1 --max-old-space-size=384';

/** What the chart sets for the controller (values.yaml controller.v8Flags, THURKUBE_V8_FLAGS). */
export const CONTROLLER_V8_FLAGS = '--no-opt --no-maglev --optimize-for-size';

/** Set by `npm run bench -- --controller-v8-flags`, to measure other flags against the chart's. */
export const BENCH_V8_FLAGS_ENV = 'THURKUBE_BENCH_CONTROLLER_V8_FLAGS';

/** The controller's V8 flags in this process's services: the chart's, unless the bench says. */
export const controllerV8Flags = () => process.env[BENCH_V8_FLAGS_ENV] ?? CONTROLLER_V8_FLAGS;

/** What the chart sets for the webhook (values.yaml admission.nodeOptions), replacing the image's. */
export const ADMISSION_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=128';

/** NODE_OPTIONS of a compiled service, as the chart runs it. */
export const nodeOptionsOf = (command: string | undefined) =>
  command === 'controller'
    ? CONTROLLER_NODE_OPTIONS
    : command === 'admission'
      ? ADMISSION_NODE_OPTIONS
      : IMAGE_NODE_OPTIONS;

/** The environment of a compiled service, as the image and the chart give it. */
export const compiledEnv = (command: string | undefined): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_OPTIONS: nodeOptionsOf(command),
  [V8_FLAGS_ENV]: command === 'controller' ? controllerV8Flags() : '',
});

export function serviceCommand(build: Build = 'source'): { command: string; args: string[] } {
  if (build === 'compiled') {
    const compiled = join(ROOT, 'dist', 'cmd', 'thurkube.js');
    if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build`);
    // The benchmarks run the services on another Node too (the image ships a newer one).
    // As the image's entry point runs it (source maps cost about 1 MiB resident).
    return {
      command: process.env.THURKUBE_SERVICE_NODE || process.execPath,
      args: ['--enable-source-maps', compiled],
    };
  }
  return { command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'cmd', 'thurkube.ts')] };
}

export interface StartServiceOptions {
  /** The log line that says the service is up; its match is returned. */
  readyLine: RegExp;
  timeoutMs?: number;
  /** Every line the service logs (a pipe read by this process). */
  onLine?: (line: string) => void;
  build?: Build;
  /**
   * Log to this file instead of a pipe. Benchmarks use it: a pipe read by a load generator that
   * is busy fills up, and then the service blocks on its own log writes.
   */
  logFile?: string;
}

export async function startService(
  args: string[],
  o: StartServiceOptions,
): Promise<Service & { match: RegExpExecArray }> {
  const { command, args: base } = serviceCommand(o.build);
  const timeoutMs = o.timeoutMs ?? 60_000;
  const fd = o.logFile ? openSync(o.logFile, 'a') : undefined;
  // Extra node flags for the services only, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile them
  // under the benchmark's load (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = process.env.THURKUBE_SERVICE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(command, [...nodeArgs, ...base, ...args], {
    cwd: ROOT,
    env: o.build === 'compiled' ? compiledEnv(args[0]) : process.env,
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  const lines: string[] = [];
  let buffered = '';
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const fail = (why: string) =>
      reject(new Error(`service ${args[0]} ${why}:\n${lines.slice(-20).join('\n')}`));
    const timer = setTimeout(() => fail(`not ready in ${timeoutMs} ms`), timeoutMs);
    const done = (m: RegExpExecArray) => {
      clearTimeout(timer);
      resolve(m);
    };
    if (o.logFile) {
      const logFile = o.logFile;
      const poll = setInterval(() => {
        const text = readFileSync(logFile, 'utf8');
        lines.splice(0, lines.length, ...text.split('\n').slice(-50));
        const m = o.readyLine.exec(text);
        if (m) {
          clearInterval(poll);
          done(m);
        } else if (exited !== undefined) {
          clearInterval(poll);
          clearTimeout(timer);
          fail(`exited (${exited})`);
        }
      }, 100);
      return;
    }
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let i = buffered.indexOf('\n');
      while (i >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        lines.push(line);
        o.onLine?.(line);
        if (lines.length > 2000) lines.splice(0, 1000);
        const m = o.readyLine.exec(line);
        if (m) done(m);
        i = buffered.indexOf('\n');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(`exited (${code})`);
    });
  });
  return {
    child,
    pid: child.pid ?? 0,
    lines,
    match,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** User and system CPU time a process has used, in seconds, from /proc (clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (in parentheses, which may hold spaces): utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
