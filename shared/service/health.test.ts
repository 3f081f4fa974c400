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

  it('serves them over plain HTTP on 127.0.0.1 and closes', async () => {
    const server = await serveHealth({ registry: new Registry(), host: '127.0.0.1', port: 0 });
    try {
      expect(await (await fetch(`http://127.0.0.1:${server.port}/readyz`)).text()).toBe('ok');
    } finally {
      await server.close();
    }
  });
});
