/**
 * The transport against a real HTTPS server on loopback: connections are kept alive between
 * requests, and one left idle is closed by us before the API server would close it (90 s there,
 * shortened here), so no request is ever sent on a connection the server is closing.
 */
import { describe, expect, it } from 'vitest';
import { loopbackHttps } from '../../test/fixtures/loopback-https.js';
import { eventually } from '../../test/support/eventually.js';
import { nodeTransport } from './transport.js';

const { ca, server: serve } = loopbackHttps();

/** A server answering as the tests below need: its path, the credentials, or a slow watch. */
const server = () =>
  serve((req, res) => {
    if (req.url?.includes('/where')) return res.end(req.url);
    if (req.url === '/who') return res.end(req.headers.authorization ?? 'nobody');
    if (req.url !== '/watch') return res.end('{}');
    // A watch: one line, then silence for longer than the client's idle time, then the rest.
    res.write('{"type":"ADDED"}\n');
    setTimeout(() => res.end('{"type":"BOOKMARK"}\n'), 900);
  });

async function get(transport: ReturnType<typeof nodeTransport>, path = '/version') {
  const res = await transport({ method: 'GET', path, headers: {} });
  let body = '';
  for await (const chunk of res.body) body += chunk;
  return { status: res.status, body };
}

describe('nodeTransport', () => {
  it('reuses a kept-alive connection, and closes it itself once idle for its idle time', async () => {
    const s = await server();
    const transport = nodeTransport({ server: s.url, ca: ca.certPem }, 300);
    expect((await get(transport)).status).toBe(200);
    expect((await get(transport)).status).toBe(200);
    expect(s.opened()).toBe(1);
    // The server would keep it ten minutes: the client closes it.
    await eventually('the idle connection closed by the client', () => s.open() === 0, 5000, 20);
    expect((await get(transport)).status).toBe(200);
    expect(s.opened()).toBe(2);
  });

  it('leaves a connection in use alone, however long it is silent (a watch between events)', async () => {
    const s = await server();
    const transport = nodeTransport({ server: s.url, ca: ca.certPem }, 300);
    // First a request, so that the watch goes out on a connection that has been idle in the pool.
    expect((await get(transport)).status).toBe(200);
    expect(await get(transport, '/watch')).toEqual({
      status: 200,
      body: '{"type":"ADDED"}\n{"type":"BOOKMARK"}\n',
    });
    expect(s.opened()).toBe(1);
  });

  it('sends the path and query as given, under the path of a server behind a proxy, with its credentials', async () => {
    const s = await server();
    const at = async (server: string) =>
      (await get(nodeTransport({ server, ca: ca.certPem }), '/api/v1/where?labelSelector=a%3Db')).body;
    expect(await at(s.url)).toBe('/api/v1/where?labelSelector=a%3Db');
    expect(await at(`${s.url}/k8s/clusters/c-1/`)).toBe('/k8s/clusters/c-1/api/v1/where?labelSelector=a%3Db');
    const who = async (server: string) => (await get(nodeTransport({ server, ca: ca.certPem }), '/who')).body;
    expect(await who(s.url)).toBe('nobody');
    expect(await who(s.url.replace('https://', 'https://ad%40min:pw@'))).toBe(
      `Basic ${Buffer.from('ad@min:pw').toString('base64')}`,
    );
  });
});
