/**
 * The API client's transports side by side, on a private local control plane: Node's HTTP/1.1
 * client (keep-alive HTTPS connections) against HTTP/2 over one connection, as client-go talks, or
 * against our own HTTP/1.1 client (shared/kube/raw-transport.ts). The same requests each way
 * (create, server-side apply and get of ConfigMaps, 16 in flight, a watch of them open as the
 * controller's caches are) from a process with the controller's V8 flags, alternating round by
 * round. Reported: wall time, and CPU per request of the client, the API server and etcd. On two
 * cores the API server is the bottleneck, so its CPU decides.
 *
 * Not part of `npm run bench`: it answered two questions (README "Performance"). The HTTP/2
 * transport lives here, not in the product, because it lost.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { CONTROLLER_NODE_OPTIONS, CONTROLLER_V8_FLAGS, cpuSeconds } from '../../dev/cluster/services.js';
import { ThurkubeError } from '../../shared/errors.js';
import { KubeClient } from '../../shared/kube/client.js';
import { type Connection, loadKubeConfig } from '../../shared/kube/config.js';
import { rawTransport } from '../../shared/kube/raw-transport.js';
import { RESOURCES } from '../../shared/kube/resources.js';
import { nodeTransport, type Transport } from '../../shared/kube/transport.js';
import { pool } from './controller-bench.js';
import { median, round } from './stats.js';

const HELP = `Usage: npx tsx test/bench/transport-bench.ts [options]

Node's HTTP/1.1 client against another transport on a private local control plane: the same
creates, server-side applies and gets of ConfigMaps.

  --requests N   ConfigMaps per round; each is created, applied and read (default 2000)
  --rounds R     rounds of each transport, alternating (default 3)
  --against T    http2 (one session, as client-go talks; the default) or raw (our own HTTP/1.1
                 client, shared/kube/raw-transport.ts)
  --out FILE     write the raw figures there as JSON
  --help         this text
`;

type Protocol = 'http1' | 'http2' | 'raw';

interface Round {
  protocol: Protocol;
  wall_s: number;
  client_us_per_request: number;
  apiserver_us_per_request: number;
  etcd_us_per_request: number;
  watch_events: number;
}

/**
 * One HTTP/2 session to the API server for every request, reopened when it ends (GOAWAY, error).
 * The session keeps the process alive only while a stream is open, as the keep-alive agent's idle
 * sockets do not. Bodies arrive as the stream itself, so the client reads them as it reads HTTP/1.1.
 */
function http2Transport(connection: Connection): Transport {
  const windowBytes = 4 << 20; // fewer WINDOW_UPDATE frames for large lists and busy watches
  let session: http2.ClientHttp2Session | undefined;
  let open = 0;
  const connect = (origin: string) => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(origin, {
      ca: connection.ca,
      cert: connection.cert,
      key: connection.key,
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      settings: { initialWindowSize: windowBytes, enablePush: false },
    });
    s.on('connect', () => s.setLocalWindowSize(4 * windowBytes));
    const forget = () => {
      if (session === s) session = undefined;
    };
    for (const event of ['error', 'goaway', 'close']) s.on(event, forget);
    s.unref();
    session = s;
    return s;
  };
  const origin = new URL(connection.server).origin;
  return ({ method, path, headers, body, signal, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const s = connect(origin);
      const outgoing: http2.OutgoingHttpHeaders = { ':method': method, ':path': path };
      for (const [name, value] of Object.entries(headers)) outgoing[name.toLowerCase()] = value;
      const stream = s.request(outgoing, { signal, endStream: body === undefined });
      if (open++ === 0) s.ref();
      stream.once('close', () => {
        if (--open === 0) s.unref();
      });
      let answered = false;
      stream.once('response', (incoming) => {
        answered = true;
        resolve({
          status: Number(incoming[':status']),
          headers: incoming as IncomingHttpHeaders,
          body: stream,
        });
      });
      if (timeoutMs)
        stream.setTimeout(timeoutMs, () =>
          stream.destroy(new ThurkubeError('Transient', `${method} ${path}: no answer in ${timeoutMs} ms`)),
        );
      // Once answered, an error ends the body, and whoever reads it sees the error there.
      stream.on('error', (error) => {
        if (!answered) reject(new ThurkubeError('Transient', `${method} ${path}: ${error.message}`));
      });
      if (body !== undefined) stream.end(body);
    });
}

/** One round in this process: the requests of `--requests` over `protocol`, measured. */
async function measure(
  protocol: Protocol,
  kubeconfig: string,
  namespace: string,
  requests: number,
  apiserver: number,
  etcd: number,
): Promise<Round> {
  const connection = loadKubeConfig(kubeconfig);
  const transport =
    protocol === 'http2'
      ? http2Transport(connection)
      : protocol === 'raw'
        ? rawTransport(connection, nodeTransport(connection))
        : nodeTransport(connection);
  const client = new KubeClient(connection, { transport });
  // The watch is open once it has sent its first ADDED of the state it starts from, which holds at
  // least the marker (and the namespace's kube-root-ca.crt, which may come before it or after).
  await client.create(RESOURCES.configMaps, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'marker', namespace },
  });
  const stop = new AbortController();
  let events = -1;
  const watch = client
    .stream(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { query: { watch: 1 }, signal: stop.signal },
      () => {
        events += 1;
      },
    )
    .catch(() => {});
  while (events < 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const cm = (i: number, value: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace, labels: { 'app.kubernetes.io/managed-by': 'bench' } },
    data: { config: value.repeat(2000) },
  });
  const cpu0 = process.cpuUsage();
  const api0 = cpuSeconds(apiserver);
  const etcd0 = cpuSeconds(etcd);
  const started = performance.now();
  await pool(requests, 16, async (i) => void (await client.create(RESOURCES.configMaps, cm(i, 'x'))));
  await pool(
    requests,
    16,
    async (i) => void (await client.apply(RESOURCES.configMaps, cm(i, 'y'), { fieldManager: 'bench' })),
  );
  await pool(
    requests,
    16,
    async (i) => void (await client.get(RESOURCES.configMaps, { namespace, name: `cm-${i}` })),
  );
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const perRequest = (seconds: number) => round((seconds * 1e6) / (3 * requests), 1);
  const result: Round = {
    protocol,
    wall_s: round(wall),
    client_us_per_request: perRequest((cpu.user + cpu.system) / 1e6),
    apiserver_us_per_request: perRequest(cpuSeconds(apiserver) - api0),
    etcd_us_per_request: perRequest(cpuSeconds(etcd) - etcd0),
    watch_events: events,
  };
  stop.abort();
  await watch;
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '3' },
      against: { type: 'string', default: 'http2' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
      // Internal: one measured round in a child process with the controller's flags.
      round: { type: 'string' },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      pids: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const requests = Number(values.requests);
  if (values.round) {
    const [apiserver, etcd] = (values.pids ?? '').split(',').map(Number) as [number, number];
    const result = await measure(
      values.round as Protocol,
      values.kubeconfig as string,
      values.namespace as string,
      requests,
      apiserver,
      etcd,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  const say = (line: string) => process.stderr.write(`[transport] ${line}\n`);
  const cluster = await startCluster({
    dir: mkdtempSync(join(tmpdir(), 'thurkube-transport-')),
    log: say,
    owner: process.pid,
  });
  try {
    const pid = (name: string) => cluster.processes.find((p) => p.name === name)?.pid;
    const pids = `${pid('kube-apiserver')},${pid('etcd')}`;
    const admin = new KubeClient(loadKubeConfig(cluster.kubeconfig));
    const rounds: Round[] = [];
    for (let r = 0; r < Number(values.rounds); r++) {
      const other = values.against as Protocol;
      for (const protocol of (r % 2 ? [other, 'http1'] : ['http1', other]) as Protocol[]) {
        const namespace = `transport-${protocol}-${r}`;
        await admin.create(RESOURCES.namespaces, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace },
        });
        const child = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            ...`${CONTROLLER_NODE_OPTIONS} ${CONTROLLER_V8_FLAGS}`.split(' '),
            import.meta.filename,
            ...['--round', protocol, '--kubeconfig', cluster.kubeconfig, '--namespace', namespace],
            ...['--requests', String(requests), '--pids', pids],
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        if (child.status !== 0) throw new Error(`the ${protocol} round failed (exit ${child.status})`);
        const result = JSON.parse(child.stdout) as Round;
        say(`round ${r + 1} ${JSON.stringify(result)} (load ${loadavg()[0]?.toFixed(2)})`);
        rounds.push(result);
        await admin.delete(RESOURCES.namespaces, { name: namespace });
      }
    }
    const of = (protocol: Protocol, key: Exclude<keyof Round, 'protocol'>) =>
      median(rounds.filter((r) => r.protocol === protocol).map((r) => r[key]));
    const figures = Object.fromEntries(
      (['wall_s', 'client_us_per_request', 'apiserver_us_per_request', 'etcd_us_per_request'] as const).map(
        (key) => [
          key,
          {
            http1: of('http1', key),
            [values.against as Protocol]: of(values.against as Protocol, key),
            ratio: round(of(values.against as Protocol, key) / of('http1', key)),
          },
        ],
      ),
    );
    process.stdout.write(
      `medians of ${values.rounds} rounds, ${requests} ConfigMaps each (create, apply, get):\n` +
        `  figure                      HTTP/1.1   ${values.against}   ${values.against} / HTTP/1.1\n${Object.entries(
          figures,
        )
          .map(
            ([key, f]) =>
              `  ${key.padEnd(26)} ${String(f.http1).padStart(9)} ${String(f[values.against as Protocol]).padStart(8)}   ${f.ratio}`,
          )
          .join('\n')}\n`,
    );
    if (values.out)
      writeFileSync(
        values.out,
        `${JSON.stringify({ date: new Date().toISOString(), node: process.version, requests, rounds, figures }, null, 2)}\n`,
      );
  } finally {
    await stopCluster(cluster);
  }
}

await main();
