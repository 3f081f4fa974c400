import { describe, expect, it } from 'vitest';
import { Registry } from './metrics.js';

describe('the Prometheus text a registry renders', () => {
  it('counts one series per set of labels, whatever their order', () => {
    const registry = new Registry();
    const reviews = registry.counter('reviews_total', 'Reviews.');
    reviews.inc({ kind: 'AgentJob', result: 'allowed' });
    reviews.inc({ result: 'allowed', kind: 'AgentJob' }, 2);
    reviews.inc({ kind: 'AgentRole', result: 'denied' });
    expect(registry.render()).toBe(
      [
        '# HELP reviews_total Reviews.',
        '# TYPE reviews_total counter',
        'reviews_total{kind="AgentJob",result="allowed"} 3',
        'reviews_total{kind="AgentRole",result="denied"} 1',
        '',
      ].join('\n'),
    );
  });

  it('escapes backslashes, quotes and newlines in label values', () => {
    const registry = new Registry();
    registry.gauge('g', 'A gauge.').set({ path: 'C:\\tmp "x"\nnext' }, 1);
    expect(registry.render()).toContain('g{path="C:\\\\tmp \\"x\\"\\nnext"} 1');
  });

  it('renders cumulative histogram buckets, sum and count', () => {
    const registry = new Registry();
    const h = registry.histogram('d_seconds', 'Durations.', [0.01, 0.1]);
    h.observe({ kind: 'AgentJob' }, 0.005);
    h.observe({ kind: 'AgentJob' }, 0.05);
    h.observe({ kind: 'AgentJob' }, 2);
    const text = registry.render();
    expect(text).toContain('d_seconds_bucket{kind="AgentJob",le="0.01"} 1');
    expect(text).toContain('d_seconds_bucket{kind="AgentJob",le="0.1"} 2');
    expect(text).toContain('d_seconds_bucket{kind="AgentJob",le="+Inf"} 3');
    expect(text).toContain('d_seconds_sum{kind="AgentJob"} 2.055');
    expect(text).toContain('d_seconds_count{kind="AgentJob"} 3');
  });

  it('reads a gauge at scrape time, and leaves the series out while there is nothing to report', () => {
    const registry = new Registry();
    let expiry: number | undefined;
    registry.gauge('expiry_seconds', 'Expiry.').set({}, () => expiry);
    expect(registry.render()).toBe('# HELP expiry_seconds Expiry.\n# TYPE expiry_seconds gauge\n');
    expiry = 1_900_000_000;
    expect(registry.render()).toContain('\nexpiry_seconds 1900000000\n');
  });

  it('declares the process metrics with their Prometheus types (CPU seconds are a counter)', () => {
    const text = new Registry().withProcessMetrics().render();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter\n');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge\n');
    expect(text).toContain('# TYPE process_start_time_seconds gauge\n');
    expect(text).toMatch(/\nprocess_cpu_seconds_total \d+(\.\d+)?\n/);
  });

  it('keeps one series per set of labels however the labels object was built', () => {
    const registry = new Registry();
    const h = registry.histogram('d_seconds', 'Durations.', [0.1]);
    h.observe({ a: 'x', b: 'y' }, 0.05);
    h.observe({ b: 'y', a: 'x' }, 0.5);
    h.observe({ a: 'x', b: 'z' }, 0.05);
    const lines = registry.render().split('\n');
    expect(lines.filter((l) => l.startsWith('d_seconds_count'))).toEqual([
      'd_seconds_count{a="x",b="y"} 2',
      'd_seconds_count{a="x",b="z"} 1',
    ]);
    expect(lines).toContain('d_seconds_bucket{a="x",b="y",le="0.1"} 1');
    expect(lines).toContain('d_seconds_bucket{a="x",b="y",le="+Inf"} 2');
  });
});
