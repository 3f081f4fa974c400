/** `thurkube controller`: flags, logger, start, and a graceful stop on SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { messageOf } from '../shared/errors.js';
import { ACCESS_KEY_SECRET } from '../shared/kube/access-key.js';
import { podNamespace } from '../shared/kube/config.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../shared/log.js';
import { DEFAULT_RUN_HISTORY, MAX_RUN_HISTORY } from '../shared/schemas/run-status.js';
import { type ControllerOptions, startController } from './controller.js';

export const CONTROLLER_HELP = `Usage: thurkube controller [options]

Reconciles AgentJobs into their ConfigMap, Job or CronJob, PVC and RBAC, and reports status.

Options:
  --kubeconfig PATH        kubeconfig to use (default: $KUBECONFIG, else the in-cluster service account)
  --namespace NS           watch one namespace only (default: all namespaces)
  --leader-elect BOOL      elect a leader with a Lease so several replicas are safe (default true)
  --lease-namespace NS     namespace of the Lease (default: the pod's namespace, else "default")
  --lease-name NAME        name of the Lease (default thurkube-controller)
  --concurrency N          AgentJobs reconciled at once (default 32)
  --cluster-access BOOL    ClusterAccess support: a ClusterRole and ClusterRoleBinding per AgentJob that
                           uses one (default true; needs escalate and bind on clusterroles)
  --access-key-secret NAME Secret holding the key that checks cluster-access authorizations, shared with
                           the admission webhook and created when missing (default ${ACCESS_KEY_SECRET})
  --access-key-namespace NS its namespace (default: the lease namespace)
  --run-history N          runs kept in each AgentJob's status.runs, newest first (default 10, at most 50)
  --metrics-bind HOST:PORT where /healthz, /readyz and /metrics listen (default 0.0.0.0:8080)
  --reuse-port             share that port with other processes of the same user (SO_REUSEPORT,
                           Node >= 22.12): replicas on one host network (hostNetwork)
  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default info)
  -h, --help               this text`;

export function parseControllerArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
): ControllerOptions & { logLevel: LogLevel } {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string', default: 'thurkube-controller' },
      concurrency: { type: 'string', default: '32' },
      'cluster-access': { type: 'string', default: 'true' },
      'run-history': { type: 'string', default: String(DEFAULT_RUN_HISTORY) },
      'metrics-bind': { type: 'string', default: '0.0.0.0:8080' },
      'reuse-port': { type: 'boolean', default: false },
      'access-key-secret': { type: 'string', default: ACCESS_KEY_SECRET },
      'access-key-namespace': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const bind = values['metrics-bind'] ?? '';
  const match = /^(.*):(\d+)$/.exec(bind);
  if (!match) throw new Error(`--metrics-bind: "${bind}" is not HOST:PORT`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`--concurrency: "${values.concurrency}" is not a positive whole number`);
  const runHistory = Number(values['run-history']);
  if (!Number.isInteger(runHistory) || runHistory < 1 || runHistory > MAX_RUN_HISTORY)
    throw new Error(
      `--run-history: "${values['run-history']}" is not a whole number from 1 to ${MAX_RUN_HISTORY}`,
    );
  const level = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new Error(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  const access = values['cluster-access'];
  if (access !== 'true' && access !== 'false')
    throw new Error(`--cluster-access: "${access}" is not true or false`);
  const elect = values['leader-elect'];
  if (elect !== 'true' && elect !== 'false')
    throw new Error(`--leader-elect: "${elect}" is not true or false`);
  const leaseNamespace = values['lease-namespace'] ?? podNamespace();
  return {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    namespace: values.namespace,
    leaderElect: elect === 'true',
    leaseNamespace,
    leaseName: values['lease-name'] ?? 'thurkube-controller',
    concurrency,
    clusterAccess: access === 'true',
    accessKeySecret: {
      name: values['access-key-secret'] ?? ACCESS_KEY_SECRET,
      namespace: values['access-key-namespace'] ?? leaseNamespace,
    },
    runHistory,
    metricsHost: match[1] ?? '0.0.0.0',
    metricsPort: Number(match[2]),
    reusePort: values['reuse-port'] === true,
    logLevel: level,
  };
}

export async function runController(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(CONTROLLER_HELP);
    return 0;
  }
  let options: ReturnType<typeof parseControllerArgs>;
  try {
    options = parseControllerArgs(argv, process.env);
  } catch (error) {
    console.error(`thurkube controller: ${messageOf(error)}\n\n${CONTROLLER_HELP}`);
    return 2;
  }
  const log = createLogger('controller', options.logLevel);
  const controller = await startController(options, log);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'stopping: finishing in-flight reconciles');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await controller.stop();
  return 0;
}
