/**
 * `npm start`: thurkube on a fresh machine with no cluster. Brings up the local control plane
 * (building the upstream binaries the first time), installs thurkube as the chart would, applies
 * examples/, prints the kubeconfig and what to try, then streams both services' logs until
 * Ctrl-C, which stops everything it started.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClusterState, readState, startCluster, stopCluster } from '../dev/cluster/cluster.js';
import { cleanLeftovers } from '../dev/cluster/leftovers.js';
import { run } from '../dev/cluster/run.js';
import { EXAMPLES, exampleFiles, startStack } from '../dev/local-stack.js';

const HELP = `Usage: npm start [-- --quiet]

Starts a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler,
kwok), installs thurkube's CRDs and webhooks from the chart, runs the admission webhook and the
controller, applies examples/, and streams the services' logs until Ctrl-C.

  --quiet   do not stream the services' logs`;

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

/** State directories of `npm start` runs: `<tmp>/thurkube-start-XXXXXX`. */
const START_PREFIX = 'thurkube-start-';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // A closed terminal must not crash the log stream before the cleanup runs.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  await cleanLeftovers(START_PREFIX, say);
  const dir = mkdtempSync(join(tmpdir(), START_PREFIX));
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let cluster: ClusterState | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      say('stopping the services and the cluster');
      await stack?.stop().catch(() => undefined);
      // Mid-start, the state file holds what has been started so far.
      const state = cluster ?? readState(dir);
      if (state) await stopCluster(state);
    })();
    return stopping;
  };
  // Every way of stopping stops everything: Ctrl-C, SIGTERM (also to the process group), a closed
  // terminal (SIGHUP), during start-up too. If this process dies without running this (SIGKILL),
  // the cluster's watchdog stops it, and a later `npm start` cleans up what both left.
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.on(signal, () => {
        say(`${signal}: stopping`);
        void stopAll().then(() => resolve());
      });
  });
  say('starting the local control plane (the first run builds Kubernetes from source: about 16 minutes)');
  try {
    cluster = await Promise.race([
      startCluster({ dir, log: (l) => say(l), owner: process.pid }),
      stopped.then(() => undefined),
    ]);
    if (!cluster || stopping) {
      await stopAll();
      return 130;
    }
    const streaming = { on: false };
    stack = await startStack({
      kubeconfig: cluster.kubeconfig,
      binaries: cluster.binaries,
      log: say,
      onServiceLine: (service, line) => {
        if (streaming.on && !values.quiet) process.stdout.write(`${service.padEnd(10)} | ${line}\n`);
      },
    });
    const kubectl = cluster.binaries.kubectl;
    const kubeconfig = cluster.kubeconfig;
    for (const file of exampleFiles()) {
      const r = await run(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', file]);
      if (r.code !== 0) throw new Error(`applying ${file} failed:\n${r.stderr}`);
    }
    say(`applied ${EXAMPLES}`);
    console.log(`KUBECONFIG=${cluster.kubeconfig}`);
    console.log(`
thurkube is running. Try, in another terminal:

  export KUBECONFIG=${cluster.kubeconfig}
  alias kubectl=${kubectl}          # the v1.36 kubectl built for this cluster
  kubectl get aj -A                 # NAME SCHEDULE SUSPENDED PHASE LAST RUN
  kubectl get aj -n agents -o wide
  kubectl describe aj summarize -n agents
  kubectl apply -f ${join(EXAMPLES, 'bad', 'missing-refs.yaml')}   # refused, with the reasons
  kubectl annotate aj pr-fixer -n agents thurkube.thurbeen.eu/run-now="$(date +%s)"   # run the CronJob now

Logs of both services follow. Ctrl-C stops everything.
`);
    streaming.on = true;
    await stopped;
    return 0;
  } catch (error) {
    say((error as Error).message);
    await stopAll();
    return 1;
  }
}

process.exitCode = await main();
