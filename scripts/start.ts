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
import { startCluster, stopCluster } from '../dev/cluster/cluster.js';
import { run } from '../dev/cluster/run.js';
import { EXAMPLES, exampleFiles, startStack } from '../dev/local-stack.js';

const HELP = `Usage: npm start [-- --quiet]

Starts a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler,
kwok), installs thurkube's CRDs and webhooks from the chart, runs the admission webhook and the
controller, applies examples/, and streams the services' logs until Ctrl-C.

  --quiet   do not stream the services' logs`;

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'thurkube-start-'));
  say('starting the local control plane (the first run builds Kubernetes from source: about 16 minutes)');
  const cluster = await startCluster({ dir, log: (l) => say(l) });
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  const stopAll = async () => {
    say('stopping the services and the cluster');
    await stack?.stop();
    await stopCluster(cluster);
  };
  try {
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
    for (const file of exampleFiles()) {
      const r = await run(kubectl, ['--kubeconfig', cluster.kubeconfig, 'apply', '-f', file]);
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
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await stopAll();
    return 0;
  } catch (error) {
    say((error as Error).message);
    await stopAll();
    return 1;
  }
}

process.exitCode = await main();
