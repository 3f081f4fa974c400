import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeApi, statusAnswer } from '../../test/fixtures/fake-api.js';
import { ThurkubeError } from '../errors.js';
import { eachChunk, type KubeObject, queryString, retryAfterMs } from './client.js';
import { RESOURCES } from './resources.js';

const POD = '/api/v1/namespaces/a/pods/p';

/** The error a promise rejects with, to check its kind, status and message. */
async function failure(promise: Promise<unknown>): Promise<ThurkubeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ThurkubeError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('KubeClient errors', () => {
  it('turns API statuses into error kinds, with the message of the Status body', async () => {
    const api = new FakeApi()
      .expect('GET', POD, { answer: statusAnswer(404, 'NotFound', 'pods "p" not found') })
      .expect('GET', POD, { answer: statusAnswer(409, 'AlreadyExists', 'pods "p" already exists') })
      .expect('GET', POD, {
        answer: statusAnswer(422, 'Invalid', 'Pod "p" is invalid: spec.x: Required value'),
      })
      .expect('GET', POD, { answer: statusAnswer(403, 'Forbidden', 'pods "p" is forbidden') })
      .expect('GET', POD, { answer: statusAnswer(503, 'ServiceUnavailable', 'etcd is down') });
    const get = () => api.client.get(RESOURCES.pods, { namespace: 'a', name: 'p' });
    const errors = [];
    for (let i = 0; i < 5; i++) errors.push(await failure(get()));
    expect(errors.map((e) => [e.kind, e.status, e.reason, e.message])).toEqual([
      ['NotFound', 404, 'NotFound', 'pods "p" not found'],
      ['Conflict', 409, 'AlreadyExists', 'pods "p" already exists'],
      ['Invalid', 422, 'Invalid', 'Pod "p" is invalid: spec.x: Required value'],
      ['Forbidden', 403, 'Forbidden', 'pods "p" is forbidden'],
      ['Transient', 503, 'ServiceUnavailable', 'etcd is down'],
    ]);
    api.verify();
  });
});

describe('KubeClient.createUnread', () => {
  it('leaves a successful answer undecoded, and still makes a refusal an error with its message', async () => {
    const event = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e', namespace: 'a' } };
    const path = '/apis/events.k8s.io/v1/namespaces/a/events';
    const api = new FakeApi()
      .expect('POST', path, { answer: { status: 201, body: 'not JSON, never decoded' } })
      .expect('POST', path, { answer: statusAnswer(403, 'Forbidden', 'events is forbidden') });
    expect(await api.client.createUnread(RESOURCES.events, event)).toBeUndefined();
    const refused = await failure(api.client.createUnread(RESOURCES.events, event));
    expect([refused.kind, refused.message]).toEqual(['Forbidden', 'events is forbidden']);
    api.verify();
  });
});

describe('KubeClient retries', () => {
  it('re-reads a rotated token once when the API server answers 401, and sends it', async () => {
    const reads: boolean[] = [];
    let current = 'expired-token';
    const api = new FakeApi({
      token: (reread = false) => {
        reads.push(reread);
        if (reread) current = 'rotated-token';
        return current;
      },
    })
      .expect('GET', POD, { answer: statusAnswer(401, 'Unauthorized', 'Unauthorized') })
      .expect('GET', POD, { answer: { body: { metadata: { name: 'p' } } } });
    const pod = await api.client.get(RESOURCES.pods, { namespace: 'a', name: 'p' });
    expect(pod.metadata?.name).toBe('p');
    expect(api.received.map((r) => r.headers.Authorization)).toEqual([
      'Bearer expired-token',
      'Bearer rotated-token',
    ]);
    expect(reads).toEqual([false, true]);
    api.verify();
  });

  it('gives up after one 401 with a fresh token: the credentials are wrong, not old', async () => {
    const api = new FakeApi({ token: () => 'wrong' })
      .expect('GET', POD, { answer: statusAnswer(401, 'Unauthorized', 'Unauthorized') })
      .expect('GET', POD, { answer: statusAnswer(401, 'Unauthorized', 'Unauthorized') });
    const error = await failure(api.client.get(RESOURCES.pods, { namespace: 'a', name: 'p' }));
    expect([error.kind, error.status]).toEqual(['Forbidden', 401]);
    api.verify();
  });

  it('sends a throttled (429) request again after the Retry-After the API server asked for', async () => {
    const api = new FakeApi()
      .expect('POST', '/api/v1/namespaces/a/configmaps', {
        answer: statusAnswer(429, 'TooManyRequests', 'too many requests', { 'Retry-After': '0.2' }),
      })
      .expect('POST', '/api/v1/namespaces/a/configmaps', {
        body: { metadata: { name: 'c', namespace: 'a' } },
        answer: { status: 201, body: { metadata: { name: 'c', namespace: 'a', uid: 'u' } } },
      });
    const started = performance.now();
    const created = await api.client.create<KubeObject>(RESOURCES.configMaps, {
      metadata: { name: 'c', namespace: 'a' },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(created.metadata?.uid).toBe('u');
    api.verify();
  });

  it('stops retrying a 429 after five tries, and when the caller gives up', async () => {
    const throttled = statusAnswer(429, 'TooManyRequests', 'slow down', { 'Retry-After': '0' });
    const api = new FakeApi();
    for (let i = 0; i < 6; i++) api.expect('GET', POD, { answer: throttled });
    const error = await failure(api.client.get(RESOURCES.pods, { namespace: 'a', name: 'p' }));
    expect([error.kind, error.status, error.message]).toEqual(['Transient', 429, 'slow down']);
    api.verify();

    const patient = new FakeApi().expect('GET', POD, {
      answer: statusAnswer(429, 'TooManyRequests', 'slow down', { 'Retry-After': '20' }),
    });
    const abort = new AbortController();
    const started = performance.now();
    const waiting = failure(
      patient.client.get(RESOURCES.pods, { namespace: 'a', name: 'p' }, { signal: abort.signal }),
    );
    await patient.done();
    abort.abort();
    expect((await waiting).status).toBe(429);
    expect(performance.now() - started).toBeLessThan(5000);
    patient.verify();
  });

  it('reads Retry-After as seconds or as a date, a second when absent, at most 30 s', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs(undefined, now)).toBe(1000);
    expect(retryAfterMs('soon', now)).toBe(1000);
    expect(retryAfterMs('3600', now)).toBe(30_000);
    expect(retryAfterMs('-4', now)).toBe(0);
  });
});

describe('KubeClient streams', () => {
  it('parses newline-delimited JSON whose lines and characters are split across chunks', async () => {
    const line = `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'café' } } })}\n`;
    const bytes = Buffer.from(line + line);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
    const api = new FakeApi().expect('GET', '/api/v1/pods', {
      query: { watch: '1' },
      answer: {
        chunks: [
          bytes.subarray(0, cut),
          bytes.subarray(cut, line.length + 5),
          bytes.subarray(line.length + 5),
        ],
      },
    });
    const lines: unknown[] = [];
    await api.client.stream('/api/v1/pods', { query: { watch: 1 } }, (value) => lines.push(value));
    expect(lines).toEqual([JSON.parse(line), JSON.parse(line)]);
    api.verify();
  });

  it('parses a line cut into three chunks, several lines in one chunk, blank lines and CRLF', async () => {
    const event = (name: string) => JSON.stringify({ type: 'MODIFIED', object: { metadata: { name } } });
    const bytes = Buffer.from(`${event('a')}\n\n${event('b')}\r\n${event('c')}\n${event('d')}\n`);
    const cuts = [5, 9, 60, 61];
    const api = new FakeApi().expect('GET', '/api/v1/pods', {
      query: { watch: '1' },
      answer: { chunks: [0, ...cuts].map((from, i) => bytes.subarray(from, cuts[i] ?? bytes.length)) },
    });
    const names: unknown[] = [];
    await api.client.stream('/api/v1/pods', { query: { watch: 1 } }, (value) =>
      names.push((value as { object: { metadata: { name: string } } }).object.metadata.name),
    );
    expect(names).toEqual(['a', 'b', 'c', 'd']);
    api.verify();
  });

  it('turns a watch refused with a status into the same errors as a request (410 keeps its status)', async () => {
    const api = new FakeApi().expect('GET', '/api/v1/pods', {
      answer: statusAnswer(410, 'Expired', 'too old resource version: 1 (50)'),
    });
    const error = await failure(api.client.stream('/api/v1/pods', { query: { watch: 1 } }, () => {}));
    expect([error.status, error.reason, error.message]).toEqual([
      410,
      'Expired',
      'too old resource version: 1 (50)',
    ]);
    api.verify();
  });
});

describe('eachChunk', () => {
  it('hands over the chunks of a Node stream in order, and resolves once it ends', async () => {
    const seen: string[] = [];
    await eachChunk(Readable.from(['a', 'b', 'c'], { objectMode: false }), (c) => seen.push(String(c)));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('rejects with what the callback threw, reads no further chunk, and ends the stream', async () => {
    const body = new PassThrough();
    const seen: string[] = [];
    const done = eachChunk(body, (c) => {
      seen.push(String(c));
      throw new Error(`refused ${String(c)}`);
    });
    body.write('first');
    body.write('second');
    await expect(done).rejects.toThrow('refused first');
    expect(seen).toEqual(['first']);
    expect(body.destroyed).toBe(true);
  });

  it('rejects when the stream breaks before its end', async () => {
    const body = new PassThrough();
    const done = eachChunk(body, () => {});
    body.write('part');
    body.destroy(new Error('socket hang up'));
    await expect(done).rejects.toThrow('socket hang up');
  });
});

describe('queryString', () => {
  it('writes the values set, each part encoded, in order', () => {
    expect(queryString(undefined)).toBe('');
    expect(queryString({ a: undefined })).toBe('');
    expect(
      queryString({
        labelSelector: 'app.kubernetes.io/name=x,y in (a b)',
        limit: 500,
        force: true,
        skip: undefined,
      }),
    ).toBe('?labelSelector=app.kubernetes.io%2Fname%3Dx%2Cy%20in%20(a%20b)&limit=500&force=true');
  });
});
