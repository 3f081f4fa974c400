/**
 * Our HTTP/1.1 client against Node's HTTPS server on loopback: answers by length and in chunks,
 * whole however the bytes arrive, connections kept and closed as the server says, deadlines,
 * a server that hangs up, TLS checks, and what it leaves to Node's client (watches, signals).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createCa } from '../../certs/pki.js';
import { loopbackHttps } from '../../test/fixtures/loopback-https.js';
import { eventually } from '../../test/support/eventually.js';
import { isKind } from '../errors.js';
import { rawTransport } from './raw-transport.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';

const { ca, leaf, server } = loopbackHttps();

/** Node's client must never be reached in these tests, except where a test says so. */
const unused: Transport = (r) => Promise.reject(new Error(`fallback called for ${r.path}`));

async function text(res: HttpResponse): Promise<string> {
  let body = '';
  for await (const chunk of res.body) body += chunk.toString();
  return body;
}

const send = async (transport: Transport, request: Partial<HttpRequest> = {}) => {
  const res = await transport({ method: 'GET', path: '/', headers: {}, ...request });
  return { status: res.status, headers: res.headers, body: await text(res) };
};

describe('rawTransport', () => {
  it('reads an answer by its Content-Length and one in chunks, however the bytes arrive, on one kept connection', async () => {
    const big = 'x'.repeat(3 << 20);
    const s = await server((req, res) => {
      if (req.url === '/length') return res.end('{"kind":"Status"}');
      if (req.url === '/big') return res.end(big);
      // Chunked: several writes, the last after a pause, and a multi-byte character cut by them.
      res.write('{"a":"');
      res.write(Buffer.from('é').subarray(0, 1));
      res.write(Buffer.from('é').subarray(1));
      setTimeout(() => res.end('"}'), 50);
    });
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused);
    const length = await send(transport, { path: '/length' });
    expect(length.status).toBe(200);
    expect(length.headers['content-length']).toBe('17');
    expect(length.body).toBe('{"kind":"Status"}');
    const chunked = await send(transport, { path: '/chunked' });
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.body).toBe('{"a":"é"}');
    expect((await send(transport, { path: '/big' })).body).toBe(big);
    expect(s.opened()).toBe(1);
  });

  it('sends the method, path, headers and a UTF-8 body as given, under a proxy path, with the URL credentials', async () => {
    const s = await server(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
    const body = JSON.stringify({ note: 'déjà vu ✓' });
    const transport = rawTransport(
      { server: `${s.url.replace('https://', 'https://ad%40min:pw@')}/k8s/clusters/c-1/`, ca: ca.certPem },
      unused,
    );
    const seen = JSON.parse(
      (
        await send(transport, {
          method: 'PATCH',
          path: '/api/v1/namespaces/a/configmaps/b?fieldManager=x',
          headers: {
            'Content-Type': 'application/apply-patch+yaml',
            'Content-Length': String(Buffer.byteLength(body)),
          },
          body,
        })
      ).body,
    );
    expect(seen.method).toBe('PATCH');
    expect(seen.url).toBe('/k8s/clusters/c-1/api/v1/namespaces/a/configmaps/b?fieldManager=x');
    expect(seen.body).toBe(body);
    expect(seen.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(seen.headers.host).toBe(new URL(s.url).host);
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('ad@min:pw').toString('base64')}`);
  });

  it('opens a new connection after the server said Connection: close, and reads a 204 without a body', async () => {
    const s = await server((req, res) => {
      if (req.url === '/close') res.setHeader('Connection', 'close');
      if (req.url === '/empty') res.statusCode = 204;
      res.end(req.url === '/empty' ? undefined : 'ok');
    });
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused);
    expect((await send(transport, { path: '/close' })).body).toBe('ok');
    await eventually('the closed connection gone', () => s.open() === 0, 5000, 10);
    expect(await send(transport, { path: '/empty', method: 'DELETE' })).toMatchObject({
      status: 204,
      body: '',
    });
    expect((await send(transport, { path: '/again' })).body).toBe('ok');
    expect(s.opened()).toBe(2);
  });

  it('reads an answer without a length to the end of the connection (HTTP/1.0, some proxies)', async () => {
    const tlsServer = createTlsServer({ cert: leaf.certPem, key: leaf.keyPem }, (socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"kind":');
        setTimeout(() => socket.end('"List"}'), 30);
      });
    });
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    try {
      const url = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
      const transport = rawTransport({ server: url, ca: ca.certPem }, unused);
      expect(await send(transport)).toMatchObject({ status: 200, body: '{"kind":"List"}' });
      expect(await send(transport)).toMatchObject({ status: 200, body: '{"kind":"List"}' });
    } finally {
      tlsServer.close();
    }
  });

  it('closes a connection left idle for its idle time, and then opens another', async () => {
    const s = await server((_req, res) => res.end('{}'));
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused, 300);
    await send(transport);
    await eventually('the idle connection closed by the client', () => s.open() === 0, 5000, 20);
    expect((await send(transport)).status).toBe(200);
    expect(s.opened()).toBe(2);
  });

  it('fails with a Transient error when no answer comes within the deadline, and never reuses that connection', async () => {
    const s = await server((req, res) => {
      if (req.url !== '/slow') res.end('fast');
    });
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused);
    const error = await send(transport, { path: '/slow', timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isKind(error, 'Transient')).toBe(true);
    expect((error as Error).message).toBe('GET /slow: no answer within 200 ms');
    expect((await send(transport, { path: '/next', timeoutMs: 2000 })).body).toBe('fast');
    expect(s.opened()).toBe(2);
  });

  it('fails with a Transient error when the server hangs up in the middle of an answer', async () => {
    const s = await server((req, res) => {
      if (req.url === '/ok') return res.end('ok');
      res.setHeader('Content-Length', '100');
      res.write('only part of it');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused);
    const error = await send(transport, { path: '/cut' }).catch((e: unknown) => e);
    expect(isKind(error, 'Transient')).toBe(true);
    expect((error as Error).message).toMatch(/^GET \/cut: /);
    expect((await send(transport, { path: '/ok' })).body).toBe('ok');
  });

  it('refuses a server whose certificate the CA did not sign, or that is not for its name', async () => {
    const s = await server((_req, res) => res.end('{}'));
    const other = createCa({ commonName: 'another CA', validityDays: 1 });
    const error = await send(rawTransport({ server: s.url, ca: other.certPem }, unused)).catch(
      (e: unknown) => e,
    );
    expect(isKind(error, 'Transient')).toBe(true);
    expect((error as Error).message).toMatch(/^GET \/: .*(self[- ]signed|unable to verify|local issuer)/i);
    // Signed by the CA, but for 127.0.0.1 only: a name it does not carry is refused too.
    const byName = rawTransport({ server: s.url.replace('127.0.0.1', 'localhost'), ca: ca.certPem }, unused);
    const wrongName = await send(byName).catch((e: unknown) => e);
    expect(isKind(wrongName, 'Transient')).toBe(true);
    expect((wrongName as Error).message).toMatch(
      /^GET \/: Hostname\/IP does not match certificate's altnames/,
    );
  });

  it('holds at most 64 connections, the other requests waiting for one', async () => {
    const s = await server((_req, res) => setTimeout(() => res.end('{}'), 20));
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused);
    const answers = await Promise.all(Array.from({ length: 150 }, () => send(transport)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(s.most()).toBeLessThanOrEqual(64);
    expect(s.opened()).toBe(64);
  });

  it('sends nothing whose path or header value would end a line of the request head', async () => {
    const s = await server((_req, res) => res.end('{}'));
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, unused);
    const tries: Partial<HttpRequest>[] = [
      { path: '/api/v1/pods HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET /x' },
      { headers: { Authorization: 'Bearer token\r\nImpersonate-User: admin' } },
    ];
    for (const request of tries) {
      const error = await send(transport, request).catch((e: unknown) => e);
      expect(isKind(error, 'Invalid')).toBe(true);
      expect((error as Error).message).toMatch(/not sent, .* holds a line break or NUL$/);
    }
    expect(s.opened()).toBe(0);
  });

  it("leaves watches, logs followed and requests with a signal to Node's client", async () => {
    const s = await server((_req, res) => res.end('{}'));
    const seen: string[] = [];
    const fallback: Transport = async (r) => {
      seen.push(r.path);
      return { status: 200, headers: {}, body: ['fallback'] };
    };
    const transport = rawTransport({ server: s.url, ca: ca.certPem }, fallback);
    const paths = [
      '/api/v1/pods?watch=1&allowWatchBookmarks=true',
      '/api/v1/namespaces/a/pods/b/log?follow=true',
    ];
    for (const path of paths) expect((await send(transport, { path })).body).toBe('fallback');
    const signal = new AbortController().signal;
    expect((await send(transport, { path: '/api/v1/pods', signal })).body).toBe('fallback');
    expect((await send(transport, { path: '/api/v1/pods?labelSelector=watch%3D1' })).body).toBe('{}');
    expect(seen).toEqual([...paths, '/api/v1/pods']);
  });
});
