/**
 * A real Prometheus (Debian's package) on 127.0.0.1 that scrapes given targets and evaluates
 * given rule files, for the monitoring suite: the chart's dashboard queries and alerts run against
 * what the services really export. Its state lives in a directory of its own, removed on stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './cluster/ports.js';

export interface ScrapeTarget {
  job: string;
  /** host:port on 127.0.0.1. */
  target: string;
  scheme?: 'http' | 'https';
  /** PEM file of the CA that signed the target's certificate (https). */
  caFile?: string;
  /** Keep labels the target sets (the chart's ServiceMonitor does, for the controller). */
  honorLabels?: boolean;
  /** Target labels, e.g. the namespace the Prometheus operator would add. */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  dir: string;
  targets: ScrapeTarget[];
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval; short in tests. */
  interval?: string;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  url: string;
  pid: number;
  /** An instant query at the current time; throws with Prometheus' own error. */
  query(expr: string): Promise<Sample[]>;
  /** GET on the HTTP API (e.g. /api/v1/rules), the `data` of its answer. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** A binary from PATH, with what to install when it is missing. */
export function findBinary(name: string): string {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `${name} is not on PATH: install Debian's prometheus package (apt-get install --no-install-recommends prometheus), as .ci/run does`,
    );
  }
  return found;
}

function config(o: PrometheusOptions): string {
  const interval = o.interval ?? '1s';
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: o.ruleFiles ?? [],
    scrape_configs: o.targets.map((t) => ({
      job_name: t.job,
      scheme: t.scheme ?? 'http',
      honor_labels: t.honorLabels ?? false,
      ...(t.caFile ? { tls_config: { ca_file: t.caFile } } : {}),
      static_configs: [{ targets: [t.target], labels: t.labels ?? {} }],
    })),
  });
}

export async function startPrometheus(o: PrometheusOptions): Promise<Prometheus> {
  const binary = findBinary('prometheus');
  mkdirSync(o.dir, { recursive: true });
  const configFile = join(o.dir, 'prometheus.yml');
  writeFileSync(configFile, config(o));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (logs.length > 200) logs.splice(0, 100);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(o.dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${logs.join('')}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready in 30 s:\n${logs.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  return {
    url,
    pid: child.pid ?? 0,
    api,
    async query(expr) {
      const data = await api<{ resultType: string; result: Sample[] | [number, string] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      // A scalar answer (e.g. time()) is one sample without labels.
      return data.resultType === 'scalar'
        ? [{ metric: {}, value: data.result as [number, string] }]
        : (data.result as Sample[]);
    },
    stop,
  };
}
