/**
 * `npm run bench`: admission latency and throughput, controller convergence against the API
 * server's floor, writes per AgentJob, idle writes, memory and fan-out, on a private local
 * control plane. Every scenario runs `--runs` times (3 by default); medians are reported, and
 * ratios are taken within one run because the machines are shared and noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { CRDS_DIR } from '../../dev/cluster/crds.js';
import { run } from '../../dev/cluster/run.js';
import { VERSIONS } from '../../dev/cluster/versions.js';
import { KubeClient } from '../../shared/kube/client.js';
import { loadKubeConfig } from '../../shared/kube/config.js';
import {
  admissionRss,
  type RouteFigures,
  reviewTemplate,
  routeFigures,
  startAdmissionServer,
} from './admission-bench.js';
import {
  applyReferences,
  type BenchCluster,
  converge,
  dropNamespace,
  fanout,
  fanoutFloor,
  floor,
  idleWrites,
  newNamespace,
} from './controller-bench.js';
import { median, round } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HELP = `Usage: npm run bench [-- options]

  --json              print one JSON object on stdout (the table goes to stderr)
  --runs N            runs per scenario, medians reported (default 3)
  --sizes A,B,C       AgentJob counts for convergence (default 100,1000,5000; 1000 is the headline)
  --rate R            fixed request rate for admission latency, per second (default 500)
  --seconds S         length of each fixed-rate phase (default 10)
  --idle-seconds S    how long idle writes are counted (default 60)
  --out FILE          where the raw results go (default bench/results/last.json)
  --only PART         admission or controller: run one part only (for profiling; figures of the
                      other part are then missing)

Environment: THURKUBE_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" runs the admission and
controller processes with these node flags (a CPU profile of each under load).`;

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      sizes: { type: 'string', default: '100,1000,5000' },
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '10' },
      'idle-seconds': { type: 'string', default: '60' },
      out: { type: 'string', default: join(ROOT, 'bench', 'results', 'last.json') },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runs = Number(values.runs);
  const sizes = String(values.sizes).split(',').map(Number);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const idleSeconds = Number(values['idle-seconds']);
  const part = (name: 'admission' | 'controller') => !values.only || values.only === name;

  say('building dist/ (what the image runs)');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');

  const cluster = await startCluster({ dir: mkdtempSync(join(tmpdir(), 'thurkube-bench-')), log: say });
  // Ctrl-C in the middle of an hour-long run must not leave a control plane behind.
  const interrupted = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the benchmark's cluster`);
    stopCluster(cluster).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const crds = await run(cluster.binaries.kubectl, [
      '--kubeconfig',
      cluster.kubeconfig,
      'apply',
      '--server-side',
      '-f',
      CRDS_DIR,
    ]);
    if (crds.code !== 0) throw new Error(crds.stderr);
    await run(cluster.binaries.kubectl, [
      '--kubeconfig',
      cluster.kubeconfig,
      'wait',
      '--for=condition=Established',
      'crd',
      '--all',
      '--timeout=60s',
    ]);
    const c: BenchCluster = {
      kubeconfig: cluster.kubeconfig,
      client: new KubeClient(loadKubeConfig(cluster.kubeconfig)),
    };

    // Admission.
    const admNs = await newNamespace(c, 'bench-adm');
    await applyReferences(c, admNs);
    const server = await startAdmissionServer(cluster.kubeconfig, false);
    const rssIdle = admissionRss(server);
    const template = reviewTemplate(admNs);
    const routes: Record<'validate' | 'mutate' | 'noop', RouteFigures[]> = {
      validate: [],
      mutate: [],
      noop: [],
    };
    const rssAfterRuns: number[] = [];
    for (let i = 0; i < (part('admission') ? runs : 0); i++) {
      for (const route of ['validate', 'mutate', 'noop'] as const) {
        say(`admission run ${i + 1}/${runs}: /${route} at ${rate}/s for ${seconds}s, then saturation`);
        routes[route].push(await routeFigures(server, `/${route}`, template, rate, seconds));
      }
      rssAfterRuns.push(round(admissionRss(server), 1));
    }
    const admissionRssAfter = admissionRss(server);
    say('admission with the dry-run of children on, at 50/s (one API round trip per review)');
    const withDryRun = await startAdmissionServer(cluster.kubeconfig, true);
    const dryRunFigures: RouteFigures[] = [];
    for (let i = 0; i < (part('admission') ? runs : 0); i++)
      dryRunFigures.push(await routeFigures(withDryRun, '/validate', template, 50, seconds));
    await withDryRun.stop();

    // Controller, with the admission server still running so that its memory can be read too.
    const sizeResults: Record<
      number,
      {
        converge: number[];
        floor: number[];
        writes: number[];
        rss: number[];
        rssStart: number[];
        admissionRss: number[];
      }
    > = {};
    const idle: number[] = [];
    const fan: number[] = [];
    const fanFloor: number[] = [];
    for (const n of part('controller') ? sizes : []) {
      const r = {
        converge: [] as number[],
        floor: [] as number[],
        writes: [] as number[],
        rss: [] as number[],
        rssStart: [] as number[],
        admissionRss: [] as number[],
      };
      sizeResults[n] = r;
      for (let i = 0; i < runs; i++) {
        say(`controller run ${i + 1}/${runs} at ${n} AgentJobs: floor`);
        r.floor.push(await floor(c, n, 32));
        say(`controller run ${i + 1}/${runs} at ${n} AgentJobs: convergence`);
        const result = await converge(c, n, 32, async (ns, controller, metricsPort) => {
          r.admissionRss.push(admissionRss(server));
          if (n !== 1000) return;
          say(`  idle writes over ${idleSeconds}s`);
          idle.push(await idleWrites(metricsPort, idleSeconds));
          say('  fan-out of one AgentRole edit');
          fan.push(await fanout(c, ns, n));
          void controller;
        });
        if (n === 1000) {
          say('  fan-out floor');
          fanFloor.push(await fanoutFloor(c, n, 32));
        }
        r.converge.push(result.seconds);
        r.writes.push(result.writesPerAgentJob);
        r.rss.push(result.rssMiB);
        r.rssStart.push(result.rssAtStartMiB);
        say(
          `  converge ${round(result.seconds)}s, floor ${round(r.floor.at(-1) ?? 0)}s, ${round(result.writesPerAgentJob)} writes/AgentJob, RSS ${round(result.rssMiB)} MiB`,
        );
      }
    }
    await server.stop();
    await dropNamespace(c, admNs);

    const med = (xs: number[] | undefined) => round(median(xs ?? []), 2);
    const headline = sizeResults[1000] ?? sizeResults[sizes[0] ?? 0];
    const figures = {
      admission_p50_ms: med(routes.validate.map((f) => f.p50Ms)),
      admission_p99_ms: med(routes.validate.map((f) => f.p99Ms)),
      admission_rps: med(routes.validate.map((f) => f.saturationRps)),
      admission_noop_rps: med(routes.noop.map((f) => f.saturationRps)),
      converge_1000_s: med(headline?.converge),
      floor_1000_s: med(headline?.floor),
      writes_per_agentjob: med(headline?.writes),
      idle_writes_per_min: med(idle),
      controller_rss_mib_1000: med(headline?.rss),
      admission_rss_mib: round(admissionRssAfter, 1),
      fanout_1000_s: med(fan),
    };

    const lines = [
      `thurkube benchmark, ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, Kubernetes ${VERSIONS.kubernetes}, etcd ${VERSIONS.etcd}, kwok ${VERSIONS.kwok}; medians of ${runs} runs`,
      '',
      `admission (AgentJob CREATE reviews over TLS, references cached, dry-run of children off), ${rate}/s for ${seconds}s:`,
      '  route       p50 ms   p99 ms   max ms   saturation req/s',
      ...(['validate', 'mutate', 'noop'] as const).map(
        (k) =>
          `  /${k.padEnd(9)} ${String(med(routes[k].map((f) => f.p50Ms))).padStart(7)} ${String(med(routes[k].map((f) => f.p99Ms))).padStart(8)} ${String(med(routes[k].map((f) => f.maxMs))).padStart(8)} ${String(round(median(routes[k].map((f) => f.saturationRps)), 0)).padStart(12)}`,
      ),
      `  /validate with the dry-run of children on, at 50/s: p50 ${med(dryRunFigures.map((f) => f.p50Ms))} ms, p99 ${med(dryRunFigures.map((f) => f.p99Ms))} ms`,
      `  throughput /validate vs /noop: ${round(figures.admission_rps / figures.admission_noop_rps, 2)}x; admission RSS ${round(rssIdle, 1)} MiB idle, after each run ${rssAfterRuns.join(', ')} MiB`,
      '',
      "controller (runs held back by a zero-pod ResourceQuota, so only the controller's own work is measured):",
      '  AgentJobs  converge s  floor s  ratio  writes/AgentJob  controller RSS MiB (start -> converged)  admission RSS MiB',
      ...sizes.map((n) => {
        const r = sizeResults[n];
        const ratio = round(median(r?.converge ?? []) / median(r?.floor ?? []), 2);
        return `  ${String(n).padStart(9)} ${String(med(r?.converge)).padStart(11)} ${String(med(r?.floor)).padStart(8)} ${String(ratio).padStart(6)} ${String(med(r?.writes)).padStart(16)} ${`${med(r?.rssStart)} -> ${med(r?.rss)}`.padStart(40)} ${String(med(r?.admissionRss)).padStart(18)}`;
      }),
      `  idle writes per minute at 1000: ${figures.idle_writes_per_min}; fan-out of one AgentRole edit to 1000 ConfigMaps: ${figures.fanout_1000_s}s (floor: the same writes by a tight client, ${med(fanFloor)}s)`,
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    mkdirSync(dirname(String(values.out)), { recursive: true });
    writeFileSync(
      String(values.out),
      `${JSON.stringify({ figures, date: new Date().toISOString(), machine: { cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version }, versions: VERSIONS, runs, rate, seconds, routes, dryRunFigures, admissionRssAfterRuns: rssAfterRuns, sizes: sizeResults, idle, fanout: fan, fanoutFloor: fanFloor, table: lines }, null, 2)}\n`,
    );
    if (values.json) console.log(JSON.stringify(figures));
    return 0;
  } finally {
    await stopCluster(cluster);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    say(error.stack ?? error.message);
    process.exitCode = 1;
  },
);
