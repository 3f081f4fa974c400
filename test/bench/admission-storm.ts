/**
 * The malformed-input storm of the security review (issue 10), against a fresh admission process:
 * many connections at once, each sending one kind of hostile body after another (reviews just
 * under the size limit, bodies over it with and without a length, truncated JSON, JSON that is no
 * review, 100,000-level nesting, random bytes). What is measured is the process's peak resident
 * memory (the kernel's VmHWM, so no sample can miss it) against the chart's limit, and that every
 * answer is a well-formed AdmissionReview or a refused connection after an over-long upload.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { type AdmissionServer, benchAgentJob, reviewJson } from './admission-bench.js';

/** The chart's memory limit of the admission pod (charts/thurkube/values.yaml). */
export const ADMISSION_MEMORY_LIMIT_MIB = 256;

const MIB = 1024 * 1024;

interface Body {
  name: string;
  data: Buffer;
  /** Sent without Content-Length (chunked), so the size is only known while reading. */
  chunked?: boolean;
  contentType?: string;
}

/** Every hostile body, built once and shared by all connections. */
export function stormBodies(namespace: string): Body[] {
  const agentJob = (prompt: string) => benchAgentJob(namespace, 'storm', { prompt });
  const near = 3 * MIB - 4096;
  const many = `{${Array.from({ length: 150_000 }, (_, i) => `"k${i}":{}`).join(',')}}`;
  const large = Buffer.from(reviewJson('storm', namespace, 'CREATE', agentJob('p'.repeat(near - 2000))));
  return [
    // A review that decodes and reaches the decision, its prompt as large as a body may be.
    { name: 'large review', data: large },
    // An UPDATE carries the object twice.
    {
      name: 'large update',
      data: Buffer.from(
        reviewJson(
          'storm',
          namespace,
          'UPDATE',
          agentJob('n'.repeat(near / 2 - 2000)),
          agentJob('o'.repeat(near / 2 - 2000)),
        ),
      ),
    },
    // Valid JSON of many small objects: the largest heap a body can become once parsed.
    { name: 'many objects', data: Buffer.from(many) },
    // Cut off before its end: JSON.parse scans all of it, then fails.
    { name: 'truncated', data: large.subarray(0, large.length - 100) },
    { name: 'over the limit', data: Buffer.alloc(5 * MIB, 'x') },
    { name: 'over the limit, chunked', data: Buffer.alloc(5 * MIB, 'y'), chunked: true },
    { name: 'deep nesting', data: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) },
    { name: 'random bytes', data: randomBytes(MIB) },
    { name: 'wrong content type', data: Buffer.alloc(2 * MIB, 'z'), contentType: 'text/plain' },
  ];
}

export interface StormFigures {
  seconds: number;
  connections: number;
  requests: number;
  /** Answers by HTTP status; `refused` counts connections the server cut after an over-long upload. */
  answers: Record<string, number>;
  /** Answers that were not an AdmissionReview (none expected). */
  malformedAnswers: number;
  rssIdleMiB: number;
  rssAfterMiB: number;
  /** The kernel's high-water mark of the process's resident memory (VmHWM). */
  peakRssMiB: number;
  limitMiB: number;
}

const statusKb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(text)?.[1] ?? Number.NaN) / 1024;
};

function post(
  server: AdmissionServer,
  agent: Agent,
  path: string,
  body: Body,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path,
        agent,
        headers: {
          'Content-Type': body.contentType ?? 'application/json',
          ...(body.chunked ? {} : { 'Content-Length': body.data.length }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body.chunked) {
      // Written in pieces, as a client that never says its length would.
      for (let at = 0; at < body.data.length; at += 256 * 1024)
        req.write(body.data.subarray(at, at + 256 * 1024));
      req.end();
    } else req.end(body.data);
  });
}

const wellFormed = (text: string) => {
  try {
    const review = JSON.parse(text) as { kind?: string; response?: { uid?: unknown; allowed?: unknown } };
    return review.kind === 'AdmissionReview' && typeof review.response?.allowed === 'boolean';
  } catch {
    return false;
  }
};

/**
 * `connections` clients, each sending the bodies in turn (from its own offset) to /validate and
 * /mutate for `seconds`.
 */
export async function storm(
  server: AdmissionServer,
  namespace: string,
  connections: number,
  seconds: number,
  /** Some of the bodies only, by name (to find which of them holds the memory). */
  only?: string[],
): Promise<StormFigures> {
  const bodies = stormBodies(namespace).filter((b) => !only || only.includes(b.name));
  const pid = server.service.pid;
  const rssIdleMiB = statusKb(pid, 'VmRSS');
  const answers: Record<string, number> = {};
  let malformedAnswers = 0;
  let requests = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const agent = new Agent({ ca: server.ca, keepAlive: true, maxSockets: 1 });
    try {
      for (let i = w; performance.now() < until; i++) {
        const body = bodies[i % bodies.length] as Body;
        requests++;
        try {
          // The API server sends every review to both webhooks.
          const res = await post(server, agent, i % 2 === 0 ? '/validate' : '/mutate', body);
          answers[res.status] = (answers[res.status] ?? 0) + 1;
          if (!wellFormed(res.text)) malformedAnswers++;
        } catch {
          answers.refused = (answers.refused ?? 0) + 1;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  return {
    seconds: (performance.now() - started) / 1000,
    connections,
    requests,
    answers,
    malformedAnswers,
    rssIdleMiB,
    rssAfterMiB: statusKb(pid, 'VmRSS'),
    peakRssMiB: statusKb(pid, 'VmHWM'),
    limitMiB: ADMISSION_MEMORY_LIMIT_MIB,
  };
}
