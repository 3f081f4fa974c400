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
});
