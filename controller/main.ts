/** `thurkube controller`: its flags and how it starts; the service shell does the rest. */
import { ACCESS_KEY_SECRET } from '../shared/kube/access-key.js';
import { podNamespace } from '../shared/kube/config.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../shared/log.js';
import { DEFAULT_RUN_HISTORY, MAX_RUN_HISTORY } from '../shared/schemas/run-status.js';
import {
  bool,
  hostPort,
  logLevel,
  positiveInt,
  readFlags,
  text,
  wholeNumber,
} from '../shared/service/flags.js';
import { runService, type Service } from '../shared/service/run.js';
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
  -h, --help               this text

Environment:
  THURKUBE_HTTP_CLIENT=node  Node's HTTP client for every request to the API server (default: our own
                           HTTP/1.1 client for short requests, Node's for watches)`;

export type ControllerConfig = ControllerOptions & { logLevel: LogLevel };

/** Parses the flags; `undefined` means --help was asked. Throws an Invalid error for bad flags. */
export function parseControllerArgs(argv: string[], env: NodeJS.ProcessEnv): ControllerConfig | undefined {
  const values = readFlags(argv, {
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
  });
  if (!values) return undefined;
  const metrics = hostPort('metrics-bind', text(values, 'metrics-bind'));
  const concurrency = positiveInt('concurrency', text(values, 'concurrency'));
  const runHistory = wholeNumber('run-history', text(values, 'run-history'), 1, MAX_RUN_HISTORY);
  const level = logLevel(text(values, 'log-level'));
  const clusterAccess = bool('cluster-access', text(values, 'cluster-access'));
  const leaderElect = bool('leader-elect', text(values, 'leader-elect'));
  const leaseNamespace = text(values, 'lease-namespace') ?? podNamespace();
  return {
    kubeconfig: text(values, 'kubeconfig') ?? env.KUBECONFIG,
    namespace: text(values, 'namespace'),
    leaderElect,
    leaseNamespace,
    leaseName: text(values, 'lease-name') ?? 'thurkube-controller',
    concurrency,
    clusterAccess,
    accessKeySecret: {
      name: text(values, 'access-key-secret') ?? ACCESS_KEY_SECRET,
      namespace: text(values, 'access-key-namespace') ?? leaseNamespace,
    },
    runHistory,
    metricsHost: metrics.host,
    metricsPort: metrics.port,
    reusePort: values['reuse-port'] === true,
    logLevel: level,
  };
}

export const CONTROLLER: Service<ControllerConfig> = {
  name: 'controller',
  usage: CONTROLLER_HELP,
  parse: parseControllerArgs,
  async start(config) {
    const logger = createLogger('controller', config.logLevel);
    const controller = await startController(config, logger);
    return { logger, stop: () => controller.stop() };
  },
  stopping: 'stopping: finishing in-flight reconciles',
};

export const runController = (argv: string[]) => runService(CONTROLLER, argv);
