/**
 * `npx tsx test/bench/heap-summary.ts FILE.heapsnapshot [--top N]`: where a V8 heap snapshot's
 * memory goes, as text. Self size by object type and by constructor, strings and how much of them
 * is duplicated, and the retained size of each watch cache (dominator tree, as DevTools computes
 * it), so that a change to what the caches keep can be judged by its bytes. `npm run bench --
 * --heap-snapshots DIR` writes the snapshots.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  byType: { type: string; count: number; bytes: number }[];
  byConstructor: { name: string; count: number; bytes: number }[];
  strings: {
    count: number;
    bytes: number;
    duplicateBytes: number;
    topDuplicates: { value: string; copies: number; bytes: number }[];
  };
  /** Retained bytes of each WatchCache, by its name (`jobs{app.kubernetes.io/managed-by=thurkube}`). */
  caches: { name: string; retainedBytes: number; objects: number }[];
}

/** The snapshot's flat arrays with the accessors the passes below need. */
function graphOf(snap: Snapshot) {
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const field = (name: string) => meta.node_fields.indexOf(name);
  const [fType, fName, fSelf, fEdges] = [
    field('type'),
    field('name'),
    field('self_size'),
    field('edge_count'),
  ];
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;
  const n = nodes.length / nf;
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += (nodes[i * nf + fEdges] as number) * ef;
  }
  firstEdge[n] = edges.length;
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const property = edgeTypes.indexOf('property');
  return {
    n,
    typeOf: (i: number) => meta.node_types[0][nodes[i * nf + fType] as number] ?? '?',
    nameOf: (i: number) => strings[nodes[i * nf + fName] as number] ?? '',
    selfOf: (i: number) => nodes[i * nf + fSelf] as number,
    /** Calls `visit(to, edgeName)` for every strong edge of node `i` (weak ones hold nothing). */
    edgesOf(i: number, visit: (to: number, name: string) => void) {
      for (let e = firstEdge[i] as number; e < (firstEdge[i + 1] as number); e += ef) {
        const t = edges[e + eType];
        if (t === weak || t === shortcut) continue;
        // Only a property edge is named by a string; others carry an index.
        visit(
          (edges[e + eTo] as number) / nf,
          t === property ? (strings[edges[e + eName] as number] ?? '') : '',
        );
      }
    },
  };
}
type Graph = ReturnType<typeof graphOf>;

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

function tally(g: Graph, top: number) {
  const byType = new Map<string, { count: number; bytes: number }>();
  const byCtor = new Map<string, { count: number; bytes: number }>();
  const copies = new Map<string, { copies: number; bytes: number }>();
  const add = <K>(m: Map<K, { count: number; bytes: number }>, k: K, bytes: number) => {
    const t = m.get(k) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += bytes;
    m.set(k, t);
  };
  let total = 0;
  const strings = { count: 0, bytes: 0 };
  for (let i = 0; i < g.n; i++) {
    const type = g.typeOf(i);
    const self = g.selfOf(i);
    total += self;
    add(byType, type, self);
    add(byCtor, type === 'object' || type === 'closure' ? g.nameOf(i) : `(${type})`, self);
    if (!STRING_TYPES.has(type)) continue;
    strings.count++;
    strings.bytes += self;
    // A concatenation is named "(concatenated string)", not by its text: no copies to find.
    if (type === 'concatenated string') continue;
    const s = copies.get(g.nameOf(i)) ?? { copies: 0, bytes: 0 };
    s.copies++;
    s.bytes += self;
    copies.set(g.nameOf(i), s);
  }
  let duplicateBytes = 0;
  const dups: { value: string; copies: number; bytes: number }[] = [];
  for (const [value, s] of copies) {
    if (s.copies < 2) continue;
    const wasted = s.bytes - s.bytes / s.copies;
    duplicateBytes += wasted;
    dups.push({
      value: value.length > 60 ? `${value.slice(0, 57)}...` : value,
      copies: s.copies,
      bytes: wasted,
    });
  }
  dups.sort((a, b) => b.bytes - a.bytes);
  const sorted = <K extends string>(m: Map<string, { count: number; bytes: number }>, key: K) =>
    [...m]
      .map(([k, v]) => ({ [key]: k, ...v }) as Record<K, string> & { count: number; bytes: number })
      .sort((a, b) => b.bytes - a.bytes);
  return {
    totalBytes: total,
    byType: sorted(byType, 'type'),
    byConstructor: sorted(byCtor, 'name').slice(0, top),
    strings: { ...strings, duplicateBytes, topDuplicates: dups.slice(0, top) },
  };
}

/** Nodes reachable from the root (node 0), in post-order (depth first, iteratively). */
function postOrder(g: Graph): { order: Int32Array; post: Int32Array } {
  const post = new Int32Array(g.n).fill(-1);
  const order = new Int32Array(g.n);
  const visited = new Uint8Array(g.n);
  // Each stack entry keeps the children not yet visited, taken one at a time.
  const stack: { v: number; next: number[] }[] = [];
  const open = (v: number) => {
    visited[v] = 1;
    const next: number[] = [];
    g.edgesOf(v, (to) => next.push(to));
    stack.push({ v, next: next.reverse() });
  };
  open(0);
  let k = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { v: number; next: number[] };
    let child = top.next.pop();
    while (child !== undefined && visited[child]) child = top.next.pop();
    if (child !== undefined) open(child);
    else {
      stack.pop();
      post[top.v] = k;
      order[k++] = top.v;
    }
  }
  return { order: order.subarray(0, k), post };
}

/**
 * Retained size of every node: its own and that of every node it dominates (Cooper, Harvey and
 * Kennedy's iterative algorithm over the post-order), with the count of dominated nodes.
 */
function retainedSizes(g: Graph): { retained: Float64Array; below: Uint32Array } {
  const { order, post } = postOrder(g);
  const preds: number[][] = Array.from({ length: g.n }, () => []);
  for (const v of order) g.edgesOf(v, (to) => (preds[to] as number[]).push(v));
  const idom = new Int32Array(g.n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    let [x, y] = [a, b];
    while (x !== y) {
      while ((post[x] as number) < (post[y] as number)) x = idom[x] as number;
      while ((post[y] as number) < (post[x] as number)) y = idom[y] as number;
    }
    return x;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k] as number;
      let d = -1;
      for (const u of preds[v] as number[]) if (idom[u] !== -1) d = d === -1 ? u : intersect(u, d);
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(g.n);
  const below = new Uint32Array(g.n);
  for (const v of order) {
    retained[v] = (retained[v] as number) + g.selfOf(v);
    below[v] = (below[v] as number) + 1;
    if (v === 0) continue;
    const d = idom[v] as number;
    retained[d] = (retained[d] as number) + (retained[v] as number);
    below[d] = (below[d] as number) + (below[v] as number);
  }
  return { retained, below };
}

export function summarize(snap: Snapshot, top = 25): HeapSummary {
  const g = graphOf(snap);
  const { retained, below } = retainedSizes(g);
  const caches: HeapSummary['caches'] = [];
  for (let i = 0; i < g.n; i++) {
    if (g.typeOf(i) !== 'object' || g.nameOf(i) !== 'WatchCache') continue;
    let label = '?';
    g.edgesOf(i, (to, edge) => {
      if (edge === 'name') label = g.nameOf(to);
    });
    caches.push({ name: label, retainedBytes: retained[i] as number, objects: below[i] as number });
  }
  caches.sort((a, b) => b.retainedBytes - a.retainedBytes);
  return { ...tally(g, top), nodes: g.n, caches };
}

const mib = (b: number) => (b / 2 ** 20).toFixed(2).padStart(8);

export function formatSummary(s: HeapSummary): string {
  const lines = [
    `heap: ${mib(s.totalBytes).trim()} MiB in ${s.nodes} nodes`,
    '',
    'by type:                          count       MiB',
    ...s.byType.map((t) => `  ${t.type.padEnd(28)} ${String(t.count).padStart(9)} ${mib(t.bytes)}`),
    '',
    'by constructor (self size):       count       MiB',
    ...s.byConstructor.map(
      (c) => `  ${c.name.slice(0, 28).padEnd(28)} ${String(c.count).padStart(9)} ${mib(c.bytes)}`,
    ),
    '',
    `strings: ${s.strings.count} taking ${mib(s.strings.bytes).trim()} MiB, of which duplicate copies ${mib(s.strings.duplicateBytes).trim()} MiB; most duplicated:`,
    ...s.strings.topDuplicates.map(
      (d) =>
        `  ${String(d.copies).padStart(7)} x ${JSON.stringify(d.value).padEnd(64)} ${mib(d.bytes)} MiB wasted`,
    ),
    '',
    'watch caches (retained):          objects       MiB',
    ...s.caches.map(
      (c) => `  ${c.name.slice(0, 30).padEnd(30)} ${String(c.objects).padStart(9)} ${mib(c.retainedBytes)}`,
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log('Usage: npx tsx test/bench/heap-summary.ts FILE.heapsnapshot... [--top N] [--json]');
    process.exit(values.help ? 0 : 2);
  }
  for (const file of positionals) {
    const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as Snapshot, Number(values.top));
    console.log(values.json ? JSON.stringify(summary) : `== ${file}\n${formatSummary(summary)}\n`);
  }
}
