/**
 * Controller figures on a real control plane: convergence of N new AgentJobs against the floor
 * (the same writes by a tight client), writes per AgentJob from the API server's own metrics,
 * idle writes, memory, and the fan-out of one AgentRole edit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, rssMiB, type Service, startService } from '../../dev/cluster/services.js';
import { API_VERSION } from '../../shared/api.js';
import { isKind } from '../../shared/errors.js';
import type { KubeClient, KubeObject } from '../../shared/kube/client.js';
import { ourResource, RESOURCES, type ResourceType } from '../../shared/kube/resources.js';
import { WatchCache } from '../../shared/kube/watch-cache.js';
import { FIELD_MANAGER } from '../../shared/labels.js';
import { desiredConfigMap, desiredJob, render } from '../../shared/render/children.js';
import type { AgentJobSpec } from '../../shared/schemas/agent-job.js';
import { microTime, sleep } from '../../shared/time.js';
import { example } from '../fixtures/load.js';
import { minimalInput } from '../fixtures/render.js';
import { controllerWrites, requestCounts } from './apiserver-metrics.js';

const agentJobs = ourResource('AgentJob');

export interface BenchCluster {
  kubeconfig: string;
  client: KubeClient;
}

/** Runs `task` for 0..n-1 with at most `concurrency` in flight. */
export async function pool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/**
 * A fresh namespace whose ResourceQuota admits no pods: Jobs are created but their runs never
 * start, so what is measured is the controller's own work, not the agents' runs (with kwok those
 * finish in milliseconds and add status writes and events of their own to the window).
 */
export async function newNamespace(c: BenchCluster, prefix: string, holdRuns = true): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await c.client.create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (holdRuns)
    await c.client.create(RESOURCES.resourceQuotas, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'no-runs', namespace: name },
      spec: { hard: { pods: '0' } },
    });
  for (;;) {
    try {
      await c.client.get(RESOURCES.serviceAccounts, { namespace: name, name: 'default' });
      return name;
    } catch {
      await sleep(100);
    }
  }
}

/** Deletes a namespace and waits until it is gone, so the next run starts on a quiet cluster. */
export async function dropNamespace(c: BenchCluster, name: string): Promise<void> {
  await c.client.delete(RESOURCES.namespaces, { name }).catch(() => undefined);
  for (;;) {
    try {
      await c.client.get(RESOURCES.namespaces, { name });
      await sleep(500);
    } catch (error) {
      if (isKind(error, 'NotFound')) return;
      await sleep(500);
    }
  }
}

export async function applyReferences(c: BenchCluster, namespace: string): Promise<void> {
  const apply = (type: Parameters<KubeClient['apply']>[0], o: KubeObject) =>
    c.client.apply(type, { ...o, metadata: { ...o.metadata, namespace } }, { fieldManager: 'bench' });
  await apply(RESOURCES.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'claude-oauth' },
    stringData: { token: 'x' },
  });
  await apply(ourResource('AgentRuntime'), example('AgentRuntime', 'minimal') as KubeObject);
  await apply(ourResource('AgentAuth'), example('AgentAuth', 'minimal') as KubeObject);
  await apply(ourResource('AgentRole'), example('AgentRole', 'minimal') as KubeObject);
}

const agentJob = (namespace: string, i: number): KubeObject => ({
  apiVersion: API_VERSION,
  kind: 'AgentJob',
  metadata: { name: `bench-${i}`, namespace },
  spec: example('AgentJob', 'minimal').spec,
});

/**
 * Watches a namespace's objects of one type, so that progress is read from memory: listing
 * thousands of AgentJobs ten times a second would load the API server under test more than the
 * controller does.
 */
async function watching(c: BenchCluster, type: ResourceType, namespace: string, labelSelector?: string) {
  const cache = new WatchCache<KubeObject>({ client: c.client, type, namespace, labelSelector });
  const stop = new AbortController();
  const running = cache.run(stop.signal);
  await cache.waitForSync();
  return {
    cache,
    close: async () => {
      stop.abort();
      await running;
    },
  };
}

const readyCount = (objects: KubeObject[]) => {
  return objects.filter((o) =>
    ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
      (x) => x.type === 'Ready' && x.status === 'True',
    ),
  ).length;
};

/** A controller the benchmark started: its metrics port and when it was ready (performance.now()). */
export type StartedController = Service & { metricsPort: number; startedAt: number };

/** When the idle RSS of a fresh controller is read: after V8's memory reducer (8 s of quiet). */
const IDLE_AFTER_START_MS = 15_000;

export async function startController(
  c: BenchCluster,
  namespace: string,
  concurrency: number,
): Promise<StartedController> {
  const svc = await startService(
    [
      'controller',
      '--kubeconfig',
      c.kubeconfig,
      '--namespace',
      namespace,
      '--leader-elect=false',
      '--metrics-bind',
      '127.0.0.1:0',
      '--concurrency',
      String(concurrency),
    ],
    {
      readyLine: /"metricsPort":(\d+)/,
      build: 'compiled',
      logFile: join(mkdtempSync(join(tmpdir(), 'thurkube-bench-log-')), 'controller.log'),
    },
  );
  return { ...svc, metricsPort: Number(svc.match[1]), startedAt: performance.now() };
}

export interface ConvergeResult {
  seconds: number;
  writesPerAgentJob: number;
  rssMiB: number;
  rssAtStartMiB: number;
  /**
   * The same process idle 15 s after it started, nothing created yet: V8 grows its young
   * generation while the modules load and hands it back after about 8 s of quiet (its memory
   * reducer), so this is what an idle pod holds; `rssAtStartMiB` is the peak of the start.
   */
  rssIdleMiB: number;
  controllerCpuSeconds: number;
  /** Reconciles per AgentJob from the first creation until the controller is quiet again. */
  reconcilesPerAgentJob: number;
}

export interface ConvergeHooks {
  /** Once the controller has started, before any AgentJob exists (after its RSS is read). */
  atStart?: (pid: number) => Promise<unknown>;
  /** Once every AgentJob is Ready (after the figures are read), before the controller stops. */
  converged?: (ns: string, controller: Service, metricsPort: number) => Promise<void>;
}

/** N AgentJobs created as fast as the API server takes them; time until all are Ready. */
export async function converge(
  c: BenchCluster,
  n: number,
  concurrency: number,
  hooks: ConvergeHooks = {},
): Promise<ConvergeResult> {
  return withController(c, `bench-conv-${n}`, true, concurrency, async (ns, controller, progress) => {
    const rssAtStart = rssMiB(controller.pid);
    await sleep(Math.max(0, IDLE_AFTER_START_MS - (performance.now() - controller.startedAt)));
    const rssIdle = rssMiB(controller.pid);
    await hooks.atStart?.(controller.pid);
    const before = controllerWrites(await requestCounts(c.client));
    const reconcilesBefore = await reconcileCount(controller.metricsPort);
    const cpu = cpuSeconds(controller.pid);
    const started = performance.now();
    await pool(n, concurrency, (i) => c.client.create(agentJobs, agentJob(ns, i)).then(() => undefined));
    while (readyCount(progress.cache.list()) < n) await sleep(50);
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = cpuSeconds(controller.pid) - cpu;
    const writes = controllerWrites(await requestCounts(c.client)) - before;
    const rss = rssMiB(controller.pid);
    const reconciles = (await quietReconciles(controller.metricsPort)) - reconcilesBefore;
    await hooks.converged?.(ns, controller, controller.metricsPort);
    return {
      seconds,
      writesPerAgentJob: writes / n,
      rssMiB: rss,
      rssAtStartMiB: rssAtStart,
      rssIdleMiB: rssIdle,
      controllerCpuSeconds: cpuUsed,
      reconcilesPerAgentJob: reconciles / n,
    };
  });
}

type Watching = Awaited<ReturnType<typeof watching>>;

/**
 * A fresh namespace (runs held back or not) with the references, a controller watching it and a
 * watch of its AgentJobs, a second after the controller started; all of it removed afterwards.
 */
async function withController<T>(
  c: BenchCluster,
  prefix: string,
  holdRuns: boolean,
  concurrency: number,
  body: (ns: string, controller: StartedController, progress: Watching) => Promise<T>,
): Promise<T> {
  const ns = await newNamespace(c, prefix, holdRuns);
  try {
    await applyReferences(c, ns);
    const controller = await startController(c, ns, concurrency);
    const progress = await watching(c, agentJobs, ns);
    try {
      await sleep(1000);
      return await body(ns, controller, progress);
    } finally {
      await progress.close();
      await controller.stop();
    }
  } finally {
    await dropNamespace(c, ns);
  }
}

/** The ConfigMap, Job and status the controller writes for AgentJob `bench-i`, written directly. */
async function writeChildren(c: BenchCluster, ns: string, i: number, uid: string, allowedTools?: string[]) {
  const input = minimalInput();
  input.agentJob = { name: `bench-${i}`, namespace: ns, uid };
  if (allowedTools) input.refs.role.spec.allowedTools = allowedTools;
  const rendered = render(input);
  const manager = { fieldManager: FIELD_MANAGER };
  await c.client.apply(
    RESOURCES.configMaps,
    desiredConfigMap(input.agentJob, rendered) as KubeObject,
    manager,
  );
  await c.client.apply(
    RESOURCES.jobs,
    desiredJob(input.agentJob, rendered, false) as unknown as KubeObject,
    manager,
  );
  const status = {
    phase: 'Pending',
    configHash: rendered.configHash,
    observedGeneration: 1,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'ChildrenReady',
        message: 'ok',
        lastTransitionTime: new Date().toISOString(),
      },
    ],
  };
  await c.client.apply(
    agentJobs,
    { apiVersion: API_VERSION, kind: 'AgentJob', metadata: { name: `bench-${i}`, namespace: ns }, status },
    { ...manager, subresource: 'status' },
  );
  return rendered.configHash;
}

/**
 * An event as the controller records one on AgentJob `bench-i` (events.k8s.io/v1). The floors
 * write the controller's events too, since they are writes it must make: Applied for new
 * children, RunStopped for the run a new config supersedes.
 */
function writeEvent(c: BenchCluster, ns: string, i: number, uid: string, reason: string): Promise<unknown> {
  return c.client.create(RESOURCES.events, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `bench-${i}.${randomBytes(8).toString('hex')}`, namespace: ns },
    eventTime: microTime(new Date()),
    type: 'Normal',
    reason,
    action: reason,
    note: `bench floor: ${reason}`,
    reportingController: 'thurkube.thurbeen.eu/bench-floor',
    reportingInstance: 'bench',
    regarding: { apiVersion: API_VERSION, kind: 'AgentJob', name: `bench-${i}`, namespace: ns, uid },
  });
}

/**
 * The same objects written directly: AgentJob, ConfigMap, Job, status and the Applied event (sent
 * beside the others, as the controller's are); the API server's floor. It is observed as the
 * controller is: the same watch of the AgentJobs, and done when it has seen every one Ready, so
 * that what measuring costs (the API server sending those events, this process reading them)
 * weighs on both sides of the ratio alike.
 */
export async function floor(c: BenchCluster, n: number, concurrency: number): Promise<FloorResult> {
  const ns = await newNamespace(c, `bench-floor-${n}`);
  try {
    const progress = await watching(c, agentJobs, ns);
    try {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await pool(n, concurrency, async (i) => {
        const created = await c.client.create(agentJobs, agentJob(ns, i));
        const uid = created.metadata?.uid ?? '';
        await Promise.all([writeChildren(c, ns, i, uid), writeEvent(c, ns, i, uid, 'Applied')]);
      });
      while (readyCount(progress.cache.list()) < n) await sleep(50);
      return { seconds: (performance.now() - started) / 1000, clientCpuSeconds: cpuSince(cpu) };
    } finally {
      await progress.close();
    }
  } finally {
    await dropNamespace(c, ns);
  }
}

export interface FloorResult {
  seconds: number;
  /** CPU this process spent writing and watching: what the tight client costs in place of the controller. */
  clientCpuSeconds: number;
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

const holds = (marker: string) => (cm: KubeObject) =>
  (cm.data as Record<string, string> | undefined)?.['agent.json']?.includes(marker) ?? false;

/**
 * The floor of a fan-out: for N existing AgentJobs, what the controller writes when their role
 * changes (the new ConfigMap, the new Job, the deletion of the run it supersedes, the status, and
 * its Applied and RunStopped events), written directly at the same concurrency. Observed as the
 * controller's fan-out is: with the watch of the AgentJobs open and a watch of the ConfigMaps, done
 * when that has seen every ConfigMap hold the new config and every write is answered.
 */
export async function fanoutFloor(c: BenchCluster, n: number, concurrency: number): Promise<FloorResult> {
  const ns = await newNamespace(c, `bench-fanfloor-${n}`);
  try {
    const before: { uid: string; hash: string }[] = [];
    await pool(n, concurrency, async (i) => {
      const created = await c.client.create(agentJobs, agentJob(ns, i));
      const uid = created.metadata?.uid ?? '';
      before[i] = { uid, hash: await writeChildren(c, ns, i, uid) };
    });
    const progress = await watching(c, agentJobs, ns);
    const configs = await watching(c, RESOURCES.configMaps, ns, 'app.kubernetes.io/managed-by=thurkube');
    try {
      const marker = `Bench${randomBytes(3).toString('hex')}`;
      const cpu = process.cpuUsage();
      const started = performance.now();
      await pool(n, concurrency, async (i) => {
        const old = before[i] ?? { uid: '', hash: '' };
        const events = Promise.all([
          writeEvent(c, ns, i, old.uid, 'Applied'),
          writeEvent(c, ns, i, old.uid, 'RunStopped'),
        ]);
        await writeChildren(c, ns, i, old.uid, ['Read', marker]);
        await events;
        await c.client.delete(
          RESOURCES.jobs,
          { namespace: ns, name: `bench-${i}-${old.hash}` },
          { propagationPolicy: 'Background' },
        );
      });
      while (configs.cache.list().filter(holds(marker)).length < n) await sleep(50);
      return { seconds: (performance.now() - started) / 1000, clientCpuSeconds: cpuSince(cpu) };
    } finally {
      await configs.close();
      await progress.close();
    }
  } finally {
    await dropNamespace(c, ns);
  }
}

/** The sum of a counter's series on the controller's /metrics whose labels `keep` accepts. */
async function counterSum(port: number, name: string, keep: (labels: string) => boolean = () => true) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\d+)/.exec(line);
    if (m?.[1] === name && keep(m[2] ?? '')) total += Number(m[3]);
  }
  return total;
}

/** The controller's own requests, reads left out. */
const controllerRequests = (port: number) =>
  counterSum(port, 'thurkube_controller_kube_requests_total', (labels) => !labels.includes('verb="GET"'));

/** Reconciles the controller has done, whatever their result (its own metric). */
const reconcileCount = (port: number) => counterSum(port, 'thurkube_controller_reconcile_total');

/**
 * The reconcile count once it has not moved for two seconds: the wake-ups that come after the
 * figure's end (a Job's first status, a deletion's event) count too.
 */
async function quietReconciles(port: number): Promise<number> {
  let last = await reconcileCount(port);
  for (;;) {
    await sleep(2000);
    const now = await reconcileCount(port);
    if (now === last) return now;
    last = now;
  }
}

/** With everything converged (and runs held back), the writes the controller sends per minute. */
export async function idleWrites(metricsPort: number, seconds: number): Promise<number> {
  await sleep(2000);
  const before = await controllerRequests(metricsPort);
  await sleep(seconds * 1000);
  return ((await controllerRequests(metricsPort)) - before) * (60 / seconds);
}

/**
 * Edit the AgentRole every AgentJob uses; time until every ConfigMap holds the new config, and the
 * controller's CPU over that time.
 */
export async function fanout(
  c: BenchCluster,
  ns: string,
  n: number,
  controller: { pid: number; metricsPort: number },
): Promise<{ seconds: number; controllerCpuSeconds: number; reconcilesPerAgentJob: number }> {
  const role = example('AgentRole', 'minimal') as KubeObject & { spec: { allowedTools: string[] } };
  const marker = `Bench${randomBytes(3).toString('hex')}`;
  role.spec.allowedTools = ['Read', marker];
  const configs = await watching(c, RESOURCES.configMaps, ns, 'app.kubernetes.io/managed-by=thurkube');
  try {
    const reconcilesBefore = await quietReconciles(controller.metricsPort);
    const cpu = cpuSeconds(controller.pid);
    const started = performance.now();
    await c.client.apply(
      ourResource('AgentRole'),
      { ...role, metadata: { ...role.metadata, namespace: ns } },
      { fieldManager: 'bench' },
    );
    while (configs.cache.list().filter(holds(marker)).length < n) await sleep(50);
    const seconds = (performance.now() - started) / 1000;
    const controllerCpuSeconds = cpuSeconds(controller.pid) - cpu;
    const reconciles = (await quietReconciles(controller.metricsPort)) - reconcilesBefore;
    return { seconds, controllerCpuSeconds, reconcilesPerAgentJob: reconciles / n };
  } finally {
    await configs.close();
  }
}

/**
 * Asks a process started with `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR` for a heap
 * snapshot and waits until it is written; renamed to `label.heapsnapshot`.
 */
export async function heapSnapshot(pid: number, dir: string, label: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    // Written synchronously by the process: complete once its size stops changing.
    let size = -1;
    while (statSync(join(dir, file)).size !== size) {
      size = statSync(join(dir, file)).size;
      await sleep(1000);
    }
    const target = join(dir, `${label}.heapsnapshot`);
    renameSync(join(dir, file), target);
    return target;
  }
}

export type { AgentJobSpec };

export interface RunWrites {
  /** The controller's writes per AgentJob from its creation until its one run is recorded. */
  writesPerAgentJob: number;
  /** The same, less the 4 writes of a new AgentJob: what one run adds. */
  writesPerRun: number;
  seconds: number;
}

const ranOnce = (o: KubeObject) =>
  (o.status as { runs?: { result?: string }[] } | undefined)?.runs?.[0]?.result === 'Succeeded';

/**
 * What runs cost in writes: N one-shot AgentJobs whose runs do start (no quota; kwok's stages take
 * each pod to Succeeded at once), counted on the controller's own request counter until every
 * AgentJob records its run and the controller has sent nothing for 3 s (the pods' and Jobs' own
 * status updates are the Job controller's and kwok's, not counted).
 */
export async function runWrites(c: BenchCluster, n: number, concurrency: number): Promise<RunWrites> {
  return withController(c, `bench-runs-${n}`, false, concurrency, async (ns, controller, progress) => {
    const before = await controllerRequests(controller.metricsPort);
    const started = performance.now();
    await pool(n, concurrency, (i) => c.client.create(agentJobs, agentJob(ns, i)).then(() => undefined));
    while (progress.cache.list().filter(ranOnce).length < n) await sleep(100);
    const seconds = (performance.now() - started) / 1000;
    let last = await controllerRequests(controller.metricsPort);
    for (let quiet = 0; quiet < 3; ) {
      await sleep(1000);
      const now = await controllerRequests(controller.metricsPort);
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
    const perAgentJob = (last - before) / n;
    return { writesPerAgentJob: perAgentJob, writesPerRun: perAgentJob - 4, seconds };
  });
}
