/**
 * The benchmark's results as figures (the `--json` object, comparable across runs) and as the
 * table printed on stderr and kept in the results file. Pure: results in, figures and lines out.
 */
import type { RouteFigures } from './admission-bench.js';
import type { StormFigures } from './admission-storm.js';
import type { RunWrites } from './controller-bench.js';
import { median, round } from './stats.js';

export interface SizeResults {
  converge: number[];
  floor: number[];
  writes: number[];
  rss: number[];
  rssStart: number[];
  /** RSS of the fresh controller idle 15 s after it started. */
  rssIdle: number[];
  admissionRss: number[];
  /** CPU seconds the controller spent converging, and the tight client spent on the floor. */
  cpu: number[];
  floorCpu: number[];
  /** Reconciles per AgentJob (the controller's counter), until it is quiet after converging. */
  reconciles: number[];
}

export interface Results {
  runs: number;
  rate: number;
  seconds: number;
  sizes: number[];
  routes: Record<'validate' | 'mutate' | 'noop', RouteFigures[]>;
  dryRun: RouteFigures[];
  admissionRssIdle: number;
  admissionRssAfterRuns: number[];
  admissionRssAfter: number;
  storm: StormFigures[];
  bySize: Record<number, SizeResults>;
  idle: number[];
  fanout: number[];
  fanoutFloor: number[];
  fanoutCpu: number[];
  fanoutFloorCpu: number[];
  fanoutReconciles: number[];
  runWrites: RunWrites[];
  /** The 1-minute load average at the start of each measured phase. */
  loads: { what: string; load1: number }[];
}

const med = (xs: readonly number[] | undefined) => round(median(xs ?? []), 2);

/** Each run's ratio, run by run: the spread a median of ratios hides. */
const runRatios = (a: readonly number[], b: readonly number[]) =>
  a.map((x, i) => round(x / (b[i] ?? Number.NaN), 2)).join(', ');

/** Growth of the controller's RSS per AgentJob between two sizes, in KiB. */
const slopeKiB = (r: Results, a: number, b: number) =>
  round(((med(r.bySize[b]?.rss) - med(r.bySize[a]?.rss)) * 1024) / (b - a), 1);

export function figures(r: Results): Record<string, number> {
  // The _1000 keys only from a run at 1,000 (null otherwise); writes per AgentJob are the same at
  // every size, so they come from the first size when 1,000 did not run.
  const at1000 = r.bySize[1000];
  const out: Record<string, number> = {
    admission_p50_ms: med(r.routes.validate.map((f) => f.p50Ms)),
    admission_p99_ms: med(r.routes.validate.map((f) => f.p99Ms)),
    admission_rps: med(r.routes.validate.map((f) => f.saturationRps)),
    admission_noop_rps: med(r.routes.noop.map((f) => f.saturationRps)),
    converge_1000_s: med(at1000?.converge),
    floor_1000_s: med(at1000?.floor),
    writes_per_agentjob: med((at1000 ?? r.bySize[r.sizes[0] ?? 0])?.writes),
    idle_writes_per_min: med(r.idle),
    controller_rss_mib_1000: med(at1000?.rss),
    admission_rss_mib: round(r.admissionRssAfter, 1),
    fanout_1000_s: med(r.fanout),
  };
  for (const n of r.sizes) {
    const s = r.bySize[n];
    if (!s) continue;
    out[`converge_${n}_s`] = med(s.converge);
    out[`floor_${n}_s`] = med(s.floor);
    out[`controller_rss_mib_${n}`] = med(s.rss);
    out[`controller_cpu_${n}_s`] = med(s.cpu);
    out[`floor_client_cpu_${n}_s`] = med(s.floorCpu);
    if (s.reconciles.length > 0) out[`reconciles_per_agentjob_${n}`] = med(s.reconciles);
  }
  out.fanout_floor_1000_s = med(r.fanoutFloor);
  out.fanout_controller_cpu_s = med(r.fanoutCpu);
  out.fanout_floor_client_cpu_s = med(r.fanoutFloorCpu);
  if (r.fanoutReconciles.length > 0) out.fanout_reconciles_per_agentjob = med(r.fanoutReconciles);
  out.admission_validate_cpu_us = med(r.routes.validate.map((x) => x.serverCpuUs));
  out.admission_noop_cpu_us = med(r.routes.noop.map((x) => x.serverCpuUs));
  out.admission_validate_vs_noop = round(
    med(r.routes.validate.map((x) => x.saturationRps)) / med(r.routes.noop.map((x) => x.saturationRps)),
    2,
  );
  const all = Object.values(r.bySize).flatMap((s) => s.rssStart);
  out.controller_rss_start_mib = med(all);
  const idle = Object.values(r.bySize).flatMap((s) => s.rssIdle);
  if (idle.length > 0) out.controller_rss_idle_mib = med(idle);
  const [first, last] = [r.sizes[0], r.sizes.at(-1)];
  if (first !== undefined && last !== undefined && last > first)
    out.controller_kib_per_agentjob = slopeKiB(r, first, last);
  if (r.runWrites.length > 0) out.writes_per_run = med(r.runWrites.map((w) => w.writesPerRun));
  if (r.storm.length > 0) out.admission_storm_peak_rss_mib = med(r.storm.map((s) => s.peakRssMiB));
  return out;
}

export function table(r: Results, header: string): string[] {
  const f = figures(r);
  const route = (k: 'validate' | 'mutate' | 'noop') =>
    `  /${k.padEnd(9)} ${String(med(r.routes[k].map((x) => x.p50Ms))).padStart(7)} ${String(med(r.routes[k].map((x) => x.p99Ms))).padStart(8)} ${String(med(r.routes[k].map((x) => x.maxMs))).padStart(8)} ${String(round(median(r.routes[k].map((x) => x.saturationRps)), 0)).padStart(12)} ${String(round(median(r.routes[k].map((x) => x.serverCpuUs)), 0)).padStart(16)}`;
  const lines = [header, ''];
  if (r.routes.validate.length > 0)
    lines.push(
      `admission (AgentJob CREATE reviews over TLS, references cached, dry-run of children off), ${r.rate}/s for ${r.seconds}s:`,
      '  route       p50 ms   p99 ms   max ms   saturation req/s   server CPU µs/req',
      route('validate'),
      route('mutate'),
      route('noop'),
      `  /validate with the dry-run of children on, at 50/s: p50 ${med(r.dryRun.map((x) => x.p50Ms))} ms, p99 ${med(r.dryRun.map((x) => x.p99Ms))} ms`,
      `  throughput /validate vs /noop: ${f.admission_validate_vs_noop}x (runs: ${r.routes.validate.map((v, i) => round(v.saturationRps / (r.routes.noop[i]?.saturationRps ?? Number.NaN), 2)).join(', ')}); admission RSS ${round(r.admissionRssIdle, 1)} MiB idle, after each run ${r.admissionRssAfterRuns.join(', ')} MiB`,
      '',
    );
  if (r.storm.length > 0) {
    const s = r.storm;
    const answers = (x: StormFigures) =>
      Object.entries(x.answers)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
    lines.push(
      `admission under a storm of malformed reviews (${s[0]?.connections} connections for ${round(s[0]?.seconds ?? 0, 0)}s, a fresh process each run):`,
      `  peak RSS ${med(s.map((x) => x.peakRssMiB))} MiB (runs: ${s.map((x) => round(x.peakRssMiB, 1)).join(', ')}) against the chart's ${s[0]?.limitMiB} Mi limit; idle ${med(s.map((x) => x.rssIdleMiB))} MiB, after ${med(s.map((x) => x.rssAfterMiB))} MiB`,
      ...s.map(
        (x, i) =>
          `  run ${i + 1}: ${x.requests} requests: ${answers(x)}; answers that were not an AdmissionReview: ${x.malformedAnswers}`,
      ),
      '',
    );
  }
  if (r.sizes.some((n) => r.bySize[n])) {
    lines.push(
      "controller (runs held back by a zero-pod ResourceQuota, so only the controller's own work is measured):",
      '  AgentJobs  converge s  floor s  ratio  writes/AgentJob  controller RSS MiB (start -> converged)  KiB/AgentJob  admission RSS MiB  CPU s controller / floor client  reconciles/AgentJob',
    );
    r.sizes.forEach((n, i) => {
      const s = r.bySize[n];
      if (!s) return;
      const ratio = round(median(s.converge) / median(s.floor), 2);
      const prev = r.sizes[i - 1];
      const slope = prev !== undefined && r.bySize[prev] ? String(slopeKiB(r, prev, n)) : '';
      lines.push(
        `  ${String(n).padStart(9)} ${String(med(s.converge)).padStart(11)} ${String(med(s.floor)).padStart(8)} ${String(ratio).padStart(6)} ${String(med(s.writes)).padStart(16)} ${`${med(s.rssStart)} -> ${med(s.rss)}`.padStart(40)} ${slope.padStart(13)} ${String(med(s.admissionRss)).padStart(18)} ${`${med(s.cpu)} / ${med(s.floorCpu)}`.padStart(32)} ${String(med(s.reconciles)).padStart(20)}`,
      );
    });
    lines.push(
      `  ratio of each run (converge / its floor): ${r.sizes
        .filter((n) => r.bySize[n])
        .map((n) => `${n}: ${runRatios(r.bySize[n]?.converge ?? [], r.bySize[n]?.floor ?? [])}`)
        .join('; ')}`,
    );
    if (f.controller_rss_idle_mib !== undefined)
      lines.push(
        `  controller RSS idle, 15 s after its start (V8 has handed back the young generation it grew while loading): ${f.controller_rss_idle_mib} MiB (each start: ${r.sizes
          .flatMap((n) => r.bySize[n]?.rssIdle ?? [])
          .map((x) => round(x, 1))
          .join(', ')}); at its start ${f.controller_rss_start_mib}`,
      );
    if (r.bySize[1000])
      lines.push(
        `  idle writes per minute at 1000: ${f.idle_writes_per_min}; fan-out of one AgentRole edit to 1000 ConfigMaps: ${f.fanout_1000_s}s (floor: the same writes by a tight client, ${f.fanout_floor_1000_s}s; ratio ${round(med(r.fanout) / med(r.fanoutFloor), 2)}, runs: ${runRatios(r.fanout, r.fanoutFloor)}; CPU s controller ${f.fanout_controller_cpu_s} / floor client ${f.fanout_floor_client_cpu_s}; ${med(r.fanoutReconciles)} reconciles per AgentJob)`,
      );
  }
  if (r.runWrites.length > 0)
    lines.push(
      '',
      `runs (one-shot AgentJobs whose runs run on kwok): ${med(r.runWrites.map((w) => w.writesPerAgentJob))} controller writes per AgentJob with its run, ${f.writes_per_run} per run (runs: ${r.runWrites.map((w) => round(w.writesPerRun, 2)).join(', ')})`,
    );
  return lines;
}
