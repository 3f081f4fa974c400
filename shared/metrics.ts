/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms
 * with labels. Enough for our two services without another dependency.
 */
type Labels = Record<string, string>;

/** A label value as the text format wants it; most values need no escaping, and this runs per observation. */
const escapeValue = (value: string) =>
  /[\\"\n]/.test(value)
    ? value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
    : value;

/** The series a set of labels names, as written in the text format: sorted, escaped. */
const renderedKey = (labels: Labels) => {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const k of keys) key += `${key ? ',' : ''}${k}="${escapeValue(String(labels[k]))}"`;
  return key;
};

/**
 * The same, remembered by the labels as given: an observation on the hot path (every admission
 * review) then costs one string and one map lookup instead of a sort and an escape. Label values
 * here come from small fixed sets (kinds, verbs, codes); the bound only guards against a mistake.
 */
const keyCache = new Map<string, string>();
const labelKey = (labels: Labels) => {
  let given = '';
  for (const k in labels) given += `${k}\u0000${labels[k]}\u0001`;
  let key = keyCache.get(given);
  if (key === undefined) {
    key = renderedKey(labels);
    if (keyCache.size >= 10_000) keyCache.clear();
    keyCache.set(given, key);
  }
  return key;
};

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

export class Counter implements Metric {
  readonly type = 'counter';
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

/** A value read at scrape time; undefined leaves the series out (nothing to report yet). */
type Reading = () => number | undefined;

export class Gauge implements Metric {
  private readonly values = new Map<string, number | Reading>();
  /** `counter` for a monotonic value read from elsewhere at scrape time (e.g. watch restarts). */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}
  set(labels: Labels, value: number | Reading): void {
    this.values.set(labelKey(labels), value);
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, v] of this.values) {
      const value = typeof v === 'function' ? v() : v;
      if (value !== undefined) out.push(`${this.name}${k ? `{${k}}` : ''} ${value}`);
    }
    return out;
  }
}

export const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram implements Metric {
  readonly type = 'histogram';
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[] = DEFAULT_BUCKETS,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Only the first bucket that holds it counts here; render() adds them up (cumulative `le`).
    const i = this.buckets.findIndex((b) => seconds <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += seconds;
    s.count += 1;
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      let below = 0;
      this.buckets.forEach((b, i) => {
        below += s.counts[i] ?? 0;
        out.push(`${this.name}_bucket{${sep}le="${b}"} ${below}`);
      });
      out.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.register(new Gauge(name, help));
  }
  /** A counter whose value is read by a callback when scraped. */
  counterFunc(name: string, help: string): Gauge {
    return this.register(new Gauge(name, help, 'counter'));
  }
  histogram(name: string, help: string, buckets?: number[]): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }

  /** Adds process_resident_memory_bytes and friends, as Prometheus client libraries do. */
  withProcessMetrics(): this {
    const rss = this.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
    rss.set({}, () => process.memoryUsage().rss);
    const heap = this.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.');
    heap.set({}, () => process.memoryUsage().heapUsed);
    const cpu = this.counterFunc('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.');
    cpu.set({}, () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    });
    const start = this.gauge(
      'process_start_time_seconds',
      'Start time of the process since the Unix epoch, in seconds.',
    );
    const startedAt = Date.now() / 1000 - process.uptime();
    start.set({}, startedAt);
    return this;
  }

  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics) {
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return `${lines.join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
