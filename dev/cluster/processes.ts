/** Starting, probing and stopping the cluster's processes. Each runs in its own process group. */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { sleep } from '../../shared/time.js';

export interface Started {
  name: string;
  pid: number;
  log: string;
  binary: string;
  args: string[];
  /** Variables added to this process's environment (kept for a restart). */
  env?: Record<string, string>;
}

export function startProcess(
  name: string,
  binary: string,
  args: string[],
  logFile: string,
  env?: Record<string, string>,
): Started {
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: env ? { ...process.env, ...env } : undefined,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${binary})`);
  child.unref();
  return { name, pid: child.pid, log: logFile, binary, args, ...(env ? { env } : {}) };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`. Only ever our own pids. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      try {
        process.kill(pid, s);
      } catch {}
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export interface Probe {
  url: string;
  ca?: string;
  /** Our own components' self-signed health endpoints on loopback. */
  insecure?: boolean;
  expect?: (status: number, body: string) => boolean;
}

function get(probe: Probe): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(probe.url);
    const options = { timeout: 3000, ca: probe.ca, rejectUnauthorized: !probe.insecure };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until the probe answers as expected; fails early if the process died. */
export async function waitReady(proc: Started, probe: Probe, timeoutMs = 60_000): Promise<void> {
  const expect = probe.expect ?? ((s) => s === 200);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive(proc.pid))
      throw new Error(`${proc.name} exited during start-up; its log ends:\n${logTail(proc.log)}`);
    try {
      const res = await get(probe);
      if (expect(res.status, res.body)) return;
      last = `${res.status} ${res.body.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(
    `${proc.name} not ready after ${timeoutMs / 1000}s (${probe.url}: ${last}); log:\n${logTail(proc.log)}`,
  );
}

export function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
