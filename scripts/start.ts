/**
 * `npm start`: thurkube on a fresh machine with no cluster. Brings up the local control plane
 * (building the upstream binaries the first time) and installs thurkube:
 * - with a real node (when this host can run one: root, Debian's containerd, runc, CNI plugins
 *   and buildah): the images are built here, and the Helm chart runs both services as pods in
 *   `thurkube-system`; the examples' runs really run (their runtime on the test agent image);
 * - otherwise, saying why: kwok plays the pods and both services run as local processes, set up
 *   as the chart would.
 * Then it applies examples/, prints the kubeconfig and what to try, and streams both services'
 * logs until Ctrl-C, which stops everything it started.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClusterState, readState, startCluster, stopCluster } from '../dev/cluster/cluster.js';
import { cleanLeftovers } from '../dev/cluster/leftovers.js';
import { findHostTools, hostVersions } from '../dev/cluster/node/host.js';
import { importImages } from '../dev/cluster/node/node.js';
import { run } from '../dev/cluster/run.js';
import { findBuildah } from '../dev/images/buildah.js';
import { ensureImages } from '../dev/images/images.js';
import { EXAMPLES, exampleFiles, RELEASE_NAMESPACE, startStack } from '../dev/local-stack.js';
import { applyExamplesOnRealNode, installOnRealNode, streamServiceLogs } from '../dev/real-stack.js';

const HELP = `Usage: npm start [-- --quiet] [-- --kwok]

Starts a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler,
kwok, and a real node when this host can run one), installs thurkube, applies examples/, and
streams the services' logs until Ctrl-C.

With a real node (root, and Debian's containerd, runc, containernetworking-plugins, buildah and
debootstrap installed): the images are built (npm run images) and the Helm chart runs both
services as pods in thurkube-system; the examples' runs really run, on the test agent image.
Otherwise (it says why): kwok plays the pods and both services run as local processes.

  --quiet   do not stream the services' logs
  --kwok    no real node, even where one could run`;

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

/** State directories of `npm start` runs: `<tmp>/thurkube-start-XXXXXX`. */
const START_PREFIX = 'thurkube-start-';

/** Why this host cannot run the real node, or undefined when it can. */
function realNodeUnavailable(): string | undefined {
  const host = findHostTools();
  if ('unavailable' in host) return host.unavailable;
  if (!findBuildah())
    return 'buildah is not installed (apt-get install -y buildah debootstrap): it builds the images';
  if (!existsSync('/usr/sbin/debootstrap'))
    return 'debootstrap is not installed (apt-get install -y debootstrap)';
  return undefined;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quiet: { type: 'boolean', default: false },
      kwok: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
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
  let stopServices: (() => Promise<void>) | undefined;
  let cluster: ClusterState | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      say('stopping the services and the cluster');
      await stopServices?.().catch(() => undefined);
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
        // npm and tsx pass a terminal's signal on as well: say it once.
        if (!stopping) say(`${signal}: stopping`);
        void stopAll().then(() => resolve());
      });
  });
  const unavailable = values.kwok ? 'asked for with --kwok' : realNodeUnavailable();
  if (unavailable) {
    say(`no real node (${unavailable}): kwok plays the pods, and both services run as local processes`);
  } else {
    const v = hostVersions();
    say(
      `with a real node: kubelet on containerd ${v.containerd}, runc ${v.runc}; thurkube runs as pods from the image built here`,
    );
  }
  say('starting the local control plane (the first run builds Kubernetes from source: about 16 minutes)');
  try {
    cluster = await Promise.race([
      startCluster({ dir, log: (l) => say(l), owner: process.pid, realNode: !unavailable }),
      stopped.then(() => undefined),
    ]);
    if (!cluster || stopping) {
      await stopAll();
      return 130;
    }
    const streaming = { on: false };
    const onServiceLine = (service: string, line: string) => {
      if (streaming.on && !values.quiet) process.stdout.write(`${service.padEnd(10)} | ${line}\n`);
    };
    const kubectl = cluster.binaries.kubectl;
    const kubeconfig = cluster.kubeconfig;
    if (cluster.realNode) {
      say('building or finding the images (the first run builds them: about 4 minutes)');
      const images = await ensureImages(say);
      await importImages(cluster.realNode, [images.product.archive, images.testAgent.archive]);
      say('helm install thurkube (both services as pods on the real node)');
      await installOnRealNode({
        kubeconfig,
        helm: cluster.binaries.helm,
        kubectl,
        apiServer: cluster.server,
      });
      say(`thurkube-admission 2/2 and thurkube-controller 1/1 available in ${RELEASE_NAMESPACE}`);
      const stopLogs = streamServiceLogs(
        { kubeconfig, kubectl, namespace: RELEASE_NAMESPACE },
        onServiceLine,
      );
      stopServices = async () => stopLogs();
      await applyExamplesOnRealNode({
        kubeconfig,
        kubectl,
        files: exampleFiles(),
        dataDir: join(dir, 'pr-fixer-data'),
      });
    } else {
      const stack = await startStack({ kubeconfig, binaries: cluster.binaries, log: say, onServiceLine });
      stopServices = () => stack.stop();
      for (const file of exampleFiles()) {
        const r = await run(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', file]);
        if (r.code !== 0) throw new Error(`applying ${file} failed:\n${r.stderr}`);
      }
    }
    say(`applied ${EXAMPLES}`);
    console.log(`KUBECONFIG=${cluster.kubeconfig}`);
    const realNodeTips = cluster.realNode
      ? `  kubectl get nodes                 # ${cluster.realNode.name} (kubelet, containerd) beside kwok-node-0
  kubectl get pods -n ${RELEASE_NAMESPACE} -o wide   # both services, as pods on the real node
  kubectl get pods -n agents        # the examples' runs, on the test agent image
  kubectl logs -n agents -l thurkube.thurbeen.eu/agentjob=summarize   # what the agent found
`
      : '';
    console.log(`
thurkube is running${cluster.realNode ? ' on a real node' : ''}. Try, in another terminal:

  export KUBECONFIG=${cluster.kubeconfig}
  alias kubectl=${kubectl}          # the v1.36 kubectl built for this cluster
${realNodeTips}  kubectl get aj -A                 # NAME SCHEDULE SUSPENDED PHASE LAST RUN LAST RESULT
  kubectl get aj -n agents -o wide
  kubectl describe aj summarize -n agents
  kubectl apply -f ${join(EXAMPLES, 'bad', 'missing-refs.yaml')}   # refused, with the reasons
  kubectl annotate aj pr-fixer -n agents thurkube.thurbeen.eu/run-now="$(date +%s)"   # run the CronJob now
  kubectl thurkube run pr-fixer -n agents --wait   # the plugin, once bin/kubectl-thurkube.mjs is linked on PATH as kubectl-thurkube
  kubectl thurkube why pr-fixer -n agents          # (README "kubectl thurkube")

Logs of both services follow. Ctrl-C stops everything.
`);
    streaming.on = true;
    if (cluster.realNode) {
      // From the pods, through the API server and the kubelet, from their first line.
      const stopLogs = streamServiceLogs(
        { kubeconfig, kubectl, namespace: RELEASE_NAMESPACE },
        onServiceLine,
      );
      stopServices = async () => stopLogs();
    }
    await stopped;
    return 0;
  } catch (error) {
    say((error as Error).message);
    await stopAll();
    return 1;
  }
}

process.exitCode = await main();
