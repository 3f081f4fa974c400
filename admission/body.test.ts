/**
 * The edge over a real HTTPS socket: what a client sees when it sends what no API server would.
 * Regressions from an adversarial review: 20-45 % of 5 MiB uploads met a closed connection
 * instead of the 413, a 100,000-level nested body took the decision into a stack overflow (500),
 * and a storm of large reviews grew the heap past the pod's memory limit (also while their
 * decisions waited on the API server, and from small bodies of many values).
 */
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCertificateSource } from '../certs/file-source.js';
import { API_VERSION } from '../shared/api.js';
import { createLogger } from '../shared/log.js';
import { testPki } from '../test/fixtures/admission/loopback.js';
import { example } from '../test/fixtures/load.js';
import { createApp } from './app.js';
import {
  BODY_BUDGET_BYTES,
  heldBodyBytes,
  jsonShape,
  MAX_BODY_BYTES,
  MAX_JSON_VALUES,
  nestsDeeper,
  PARSED_BYTES_PER_VALUE,
} from './body.js';
import type { Lookups } from './lookups.js';
import { type RunningServer, serveHttps } from './server.js';

const pki = testPki();
const stop = new AbortController();
let server: RunningServer;
let open_gate: () => void = () => {};
let gate = new Promise<void>((resolve) => {
  open_gate = resolve;
});

beforeAll(async () => {
  const certificates = new FileCertificateSource({ certFile: pki.certFile, keyFile: pki.keyFile });
  await certificates.start(stop.signal);
  const logger = createLogger('admission', 'silent');
  // Only the AgentJob reviews below reach a decision: their reference lookups wait for the gate,
  // as on an API server that is slow to answer, and then find nothing.
  const lookups = { object: () => gate.then(() => undefined) } as unknown as Lookups;
  const app = createApp({ lookups, settings: { missingRefs: 'deny' }, logger });
  server = await serveHttps({ app, certificates, host: '127.0.0.1', port: 0, logger });
});
afterAll(async () => {
  await server.close({ drainMs: 100, graceMs: 100 });
  stop.abort();
  pki.remove();
});

interface Sent {
  req: ClientRequest;
  answer: Promise<{ status: number; message: string } | { error: string }>;
}

function open(headers: Record<string, string | number> = {}): Sent {
  let req: ClientRequest | undefined;
  const answer = new Promise<{ status: number; message: string } | { error: string }>((resolve) => {
    req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/validate',
        method: 'POST',
        ca: pki.ca.certPem,
        agent: false,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => {
          const body = JSON.parse(text) as { response: { status?: { message: string } } };
          resolve({ status: res.statusCode ?? 0, message: body.response.status?.message ?? '' });
        });
      },
    );
    req.on('error', (error: Error) => resolve({ error: error.message }));
  });
  if (!req) throw new Error('no request');
  return { req, answer };
}

function send(body: Buffer, chunked: boolean) {
  const sent = open(chunked ? {} : { 'content-length': body.length });
  for (let i = 0; i < body.length; i += 64 * 1024) sent.req.write(body.subarray(i, i + 64 * 1024));
  sent.req.end();
  return sent.answer;
}

describe('request bodies', () => {
  const tooLarge = { status: 413, message: `request body is larger than ${MAX_BODY_BYTES} bytes` };

  it('always answers a 5 MiB upload with 413, declared or chunked: the upload is read to its end', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'a');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => send(body, i % 2 === 0)));
    expect(answers).toEqual(Array.from({ length: 12 }, () => tooLarge));
  });

  it('answers 400 to a body nested 100,000 levels deep, without recursing into it', async () => {
    const deep = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(await send(deep, false)).toEqual({
      status: 400,
      message: 'body nests objects or arrays deeper than 128 levels',
    });
    expect(nestsDeeper('{"a":"[[[[[[","b":[{"c":"\\\\"}]}', 3)).toBe(false);
    expect(nestsDeeper('[[[[]]]]', 3)).toBe(true);
  });

  it('answers 503 while the bodies in flight hold the budget, and reads again once they are answered', async () => {
    const part = Buffer.alloc(MAX_BODY_BYTES - 1024, 'x');
    const holders = Array.from({ length: Math.floor(BODY_BUDGET_BYTES / part.length) }, () => {
      const sent = open({ 'content-length': part.length + 1 });
      sent.req.write(part);
      return sent;
    });
    // Every holder's part has arrived: what is held leaves no room for another megabyte.
    await expect.poll(heldBodyBytes, { timeout: 10_000 }).toBe(holders.length * part.length);
    expect(BODY_BUDGET_BYTES - heldBodyBytes()).toBeLessThan(1024 * 1024);
    expect(await send(Buffer.alloc(1024 * 1024, 'y'), false)).toEqual({
      status: 503,
      message: 'too many large requests at once; the webhook refuses more until those in flight are answered',
    });
    for (const h of holders) h.req.end('}');
    for (const answer of await Promise.all(holders.map((h) => h.answer)))
      expect(answer).toMatchObject({ status: 400 });
    expect(heldBodyBytes()).toBe(0);
    expect(await send(Buffer.from('{}'), false)).toMatchObject({ status: 400 });
  });

  it('holds a review against the budget until it is answered, also while its decision waits', async () => {
    const review = (prompt: string) =>
      Buffer.from(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: 'held',
            kind: { group: 'thurkube.thurbeen.eu', version: 'v1alpha1', kind: 'AgentJob' },
            namespace: 'team',
            operation: 'CREATE',
            object: {
              apiVersion: API_VERSION,
              kind: 'AgentJob',
              metadata: { name: 'held', namespace: 'team' },
              spec: { ...example('AgentJob', 'minimal').spec, prompt },
            },
          },
        }),
      );
    const large = review('p'.repeat(MAX_BODY_BYTES - 8192));
    const waiting = Array.from({ length: Math.floor(BODY_BUDGET_BYTES / large.length) }, () =>
      send(large, false),
    );
    // Read, parsed and waiting for their lookups: they still hold what they were charged.
    await expect.poll(heldBodyBytes, { timeout: 10_000 }).toBeGreaterThan(waiting.length * large.length);
    expect(await send(Buffer.alloc(1024 * 1024, 'y'), false)).toMatchObject({ status: 503 });
    open_gate();
    for (const answer of await Promise.all(waiting))
      expect(answer).toMatchObject({ status: 200, message: expect.stringContaining('not found') });
    expect(heldBodyBytes()).toBe(0);
    gate = Promise.resolve();
  });

  it('answers 400 to a body of more than 100,000 values before parsing it: small text, large heap', async () => {
    const dense = Buffer.from(`[${Array.from({ length: 150_000 }, () => '{}').join(',')}]`);
    expect(dense.length).toBeLessThan(MAX_BODY_BYTES / 6);
    expect(await send(dense, false)).toEqual({
      status: 400,
      message: `body holds more than ${MAX_JSON_VALUES} JSON values`,
    });
    // What a parse costs is charged with the text: values * PARSED_BYTES_PER_VALUE.
    expect(jsonShape('{"a":"\\\\","b":[1,{"c":"\\"[,:"}]}')).toEqual({ tooDeep: false, values: 8 });
    expect(PARSED_BYTES_PER_VALUE * MAX_JSON_VALUES).toBeLessThan(BODY_BUDGET_BYTES);
  });
});
