import { Agent, request } from 'node:https';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { FileCertificateSource } from '../certs/file-source.js';
import { createLogger } from '../shared/log.js';
import { httpsText, testPki } from '../test/fixtures/admission/loopback.js';
import { serveHttps } from './server.js';

const pki = testPki();
const { certFile, keyFile } = pki;
afterAll(() => pki.remove());

const logger = createLogger('admission', 'silent');
/** The slow route tells when a request reached it, and answers when the test lets it. */
let arrived = () => {};
let finish = () => {};
const app = new Hono()
  .get('/hello', (c) => c.text('hello'))
  .get('/slow', async (c) => {
    await new Promise<void>((resolve) => {
      finish = resolve;
      arrived();
    });
    return c.text('done');
  });

const fetchText = (port: number, path: string) => httpsText(port, path, pki.ca.certPem);

describe('serveHttps', () => {
  it('serves over TLS with the certificate of its source, verified by the CA', async () => {
    const stop = new AbortController();
    const certificates = new FileCertificateSource({ certFile, keyFile });
    await certificates.start(stop.signal);
    const server = await serveHttps({ app, certificates, host: '127.0.0.1', port: 0, logger });
    try {
      expect(await fetchText(server.port, '/hello')).toBe('hello');
    } finally {
      await server.close();
      stop.abort();
    }
  });

  it('keeps an idle connection open past Node’s default 5 s, so the API server never sends a review on one being closed', async () => {
    const stop = new AbortController();
    const certificates = new FileCertificateSource({ certFile, keyFile });
    await certificates.start(stop.signal);
    const server = await serveHttps({ app, certificates, host: '127.0.0.1', port: 0, logger });
    const agent = new Agent({ keepAlive: true, ca: pki.ca.certPem });
    const sockets = new Set<unknown>();
    const get = () =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/hello', agent }, (res) => {
          sockets.add(req.socket);
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toBe('hello');
      await new Promise((resolve) => setTimeout(resolve, 6000));
      expect(await get()).toBe('hello');
      // One connection for both: the server did not close it while idle.
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
      await server.close();
      stop.abort();
    }
  }, 15_000);

  it('drains on close: a request on an idle keep-alive connection is answered with Connection: close, not reset', async () => {
    const stop = new AbortController();
    const certificates = new FileCertificateSource({ certFile, keyFile });
    await certificates.start(stop.signal);
    const server = await serveHttps({ app, certificates, host: '127.0.0.1', port: 0, logger });
    const agent = new Agent({ keepAlive: true, ca: pki.ca.certPem });
    const sockets = new Set<unknown>();
    const get = () =>
      new Promise<{ body: string; connection?: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/hello', agent }, (res) => {
          sockets.add(req.socket);
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ body, connection: res.headers.connection }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toEqual({ body: 'hello', connection: 'keep-alive' });
      let closedYet = false;
      const closed = server.close({ drainMs: 2000 }).then(() => {
        closedYet = true;
      });
      // The connection is idle now; the client's next request goes out on it while the server
      // is closing (as the API server's next review does in a rolling upgrade).
      expect(await get()).toEqual({ body: 'hello', connection: 'close' });
      expect(sockets.size).toBe(1);
      // The client closed it as told: the drain ends without waiting for its deadline.
      await closed;
      expect(closedYet).toBe(true);
    } finally {
      agent.destroy();
      stop.abort();
    }
  });

  it('closes a connection still idle when the drain is over', async () => {
    const stop = new AbortController();
    const certificates = new FileCertificateSource({ certFile, keyFile });
    await certificates.start(stop.signal);
    const server = await serveHttps({ app, certificates, host: '127.0.0.1', port: 0, logger });
    const agent = new Agent({ keepAlive: true, ca: pki.ca.certPem });
    try {
      const socketClosed = new Promise<number>((resolve) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/hello', agent }, (res) =>
          res.resume(),
        );
        req.on('socket', (socket) => socket.once('close', () => resolve(performance.now())));
        req.end();
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = performance.now();
      await server.close({ drainMs: 300 });
      const closedAt = await socketClosed;
      // Not at once (a request could be on its way on it), but when the drain ended.
      expect(closedAt - started).toBeGreaterThanOrEqual(250);
    } finally {
      agent.destroy();
      stop.abort();
    }
  });

  it('finishes a request in flight when closed, then refuses new connections', async () => {
    const stop = new AbortController();
    const certificates = new FileCertificateSource({ certFile, keyFile });
    await certificates.start(stop.signal);
    const server = await serveHttps({ app, certificates, host: '127.0.0.1', port: 0, logger });
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const inFlight = fetchText(server.port, '/slow');
    await reached;
    let closedYet = false;
    const closed = server.close().then(() => {
      closedYet = true;
    });
    // close() waits for the review in flight: it has not finished while the route still works.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closedYet).toBe(false);
    finish();
    expect(await inFlight).toBe('done');
    await closed;
    stop.abort();
    const refused = new Promise<string>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, ca: pki.ca.certPem })
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''))
        .end();
    });
    expect(await refused).toBe('ECONNREFUSED');
  });
});
