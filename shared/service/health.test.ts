import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Registry } from '../metrics.js';
import { addHealthRoutes, serveHealth } from './health.js';

describe('health routes', () => {
  it('answers /healthz, /readyz with every reason on one line, and /metrics as Prometheus text', async () => {
    let reasons = ['watch cache agentjobs has not synced', 'leader election has not answered yet'];
    const registry = new Registry();
    registry.counter('things_total', 'Things.').inc({}, 3);
    const app = addHealthRoutes(new Hono(), { registry, notReady: () => reasons });
    expect(await (await app.request('/healthz')).text()).toBe('ok');
    const notReady = await app.request('/readyz');
    expect([notReady.status, await notReady.text()]).toEqual([
      503,
      'not ready: watch cache agentjobs has not synced; leader election has not answered yet',
    ]);
    reasons = [];
    const ready = await app.request('/readyz');
    expect([ready.status, await ready.text()]).toEqual([200, 'ok']);
    const metrics = await app.request('/metrics');
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('things_total 3');
  });

  it('serves the same answers over plain HTTP on 127.0.0.1, 404 for anything else, and closes', async () => {
    const registry = new Registry();
    registry.counter('things_total', 'Things.').inc({}, 2);
    let reasons = ['watch cache agentjobs has not synced'];
    const server = await serveHealth({ registry, notReady: () => reasons, host: '127.0.0.1', port: 0 });
    const get = async (path: string, method = 'GET') => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
      return [res.status, await res.text(), res.headers.get('content-type')];
    };
    try {
      expect(await get('/healthz')).toEqual([200, 'ok', 'text/plain; charset=UTF-8']);
      expect(await get('/readyz')).toEqual([
        503,
        'not ready: watch cache agentjobs has not synced',
        'text/plain; charset=UTF-8',
      ]);
      reasons = [];
      expect(await get('/readyz?verbose')).toEqual([200, 'ok', 'text/plain; charset=UTF-8']);
      expect(await get('/metrics')).toEqual([
        200,
        expect.stringContaining('things_total 2'),
        'text/plain; version=0.0.4; charset=utf-8',
      ]);
      expect(await get('/healthz', 'HEAD')).toEqual([200, '', 'text/plain; charset=UTF-8']);
      expect((await get('/metrics', 'POST'))[0]).toBe(404);
      expect((await get('/other'))[0]).toBe(404);
    } finally {
      await server.close();
    }
  });
});
