/** The admission service's settings, read once from its flags (and $KUBECONFIG) at start-up. */
import { CERT_FLAG_OPTIONS, CERT_FLAGS_HELP, type CertFlags, certFlagsFrom } from '../certs/flags.js';
import { ACCESS_KEY_SECRET, type AccessKeyRef } from '../shared/kube/access-key.js';
import { podNamespace } from '../shared/kube/config.js';
import { LOG_LEVELS, type LogLevel } from '../shared/log.js';
import { bool, hostPort, logLevel, oneOf, readFlags, text } from '../shared/service/flags.js';
import type { Settings } from './verdict.js';

export interface AdmissionConfig extends Settings {
  /** Undefined: in-cluster service account. */
  kubeconfig?: string;
  host: string;
  port: number;
  /** Share the port with other processes of the same user (SO_REUSEPORT): replicas on one host network. */
  reusePort?: boolean;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Self-managed certificates in a Secret; the files above are not read when set. */
  certs?: CertFlags;
  /** The Secret holding the key that signs cluster-access authorizations (read or created). */
  accessKeySecret?: AccessKeyRef;
  /** The thurkube controller's user names: its Jobs and CronJobs may use runner ServiceAccounts. */
  controllerUsers?: string[];
  logLevel: LogLevel;
}

export const USAGE = `Usage: thurkube admission [options]

Serves the admission webhook (POST /mutate, /validate; GET /healthz, /readyz, /metrics) over HTTPS.

Options:
  --kubeconfig PATH        cluster to use; default $KUBECONFIG, else the in-cluster service account
  --listen HOST:PORT       address to serve on (default 0.0.0.0:8443)
  --reuse-port             share that port with other processes of the same user (SO_REUSEPORT, Node
                           >= 22.12): replicas on one host network (hostNetwork) serve one port
  --tls-cert-file PATH     serving certificate, PEM, reloaded when it changes (default /etc/thurkube/tls/tls.crt)
  --tls-key-file PATH      its private key, PEM (default /etc/thurkube/tls/tls.key)
  --missing-refs MODE      deny (default): refuse AgentJobs whose references do not exist;
                           warn: admit them with a warning (GitOps tools that apply in any order)
  --dry-run-children BOOL  dry-run the Job or CronJob an AgentJob would get, so that what the API server
                           would refuse later fails kubectl apply now (default true; needs create on
                           jobs and cronjobs)
  --access-key-secret NAME      Secret holding the key that signs cluster-access authorizations, created
                                when missing; the controller reads the same one (default ${ACCESS_KEY_SECRET})
  --access-key-namespace NS     its namespace (default: the pod's namespace, else "default")
  --controller-user NAME   the thurkube controller's user name (repeatable): only its Jobs and CronJobs
                           may use the runner ServiceAccount of an AgentJob with cluster access
                           (default system:serviceaccount:<pod namespace>:thurkube-controller)
  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default info)
  --help                   show this help

Environment:
  THURKUBE_HTTP_CLIENT=node  Node's HTTP client for every request to the API server (default: our own
                           HTTP/1.1 client for short requests, Node's for watches)

${CERT_FLAGS_HELP}`;

/** Parses the flags; `undefined` means --help was asked. Throws an Invalid error for bad flags. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): AdmissionConfig | undefined {
  const values = readFlags(argv, {
    kubeconfig: { type: 'string' },
    listen: { type: 'string', default: '0.0.0.0:8443' },
    'reuse-port': { type: 'boolean', default: false },
    'tls-cert-file': { type: 'string', default: '/etc/thurkube/tls/tls.crt' },
    'tls-key-file': { type: 'string', default: '/etc/thurkube/tls/tls.key' },
    'missing-refs': { type: 'string', default: 'deny' },
    'dry-run-children': { type: 'string', default: 'true' },
    'log-level': { type: 'string', default: 'info' },
    'access-key-secret': { type: 'string', default: ACCESS_KEY_SECRET },
    'access-key-namespace': { type: 'string' },
    'controller-user': { type: 'string', multiple: true },
    ...CERT_FLAG_OPTIONS,
  });
  if (!values) return undefined;
  const missingRefs = oneOf('missing-refs', text(values, 'missing-refs'), ['deny', 'warn'] as const);
  const dryRunChildren = bool('dry-run-children', text(values, 'dry-run-children'));
  const level = logLevel(text(values, 'log-level'));
  return {
    kubeconfig: text(values, 'kubeconfig') || env.KUBECONFIG || undefined,
    ...hostPort('listen', text(values, 'listen')),
    reusePort: values['reuse-port'] === true,
    tlsCertFile: String(values['tls-cert-file']),
    tlsKeyFile: String(values['tls-key-file']),
    certs: certFlagsFrom(values),
    missingRefs,
    dryRunChildren,
    controllerUsers: (values['controller-user'] as string[] | undefined) ?? [
      `system:serviceaccount:${podNamespace()}:thurkube-controller`,
    ],
    accessKeySecret: {
      name: String(values['access-key-secret']),
      namespace: text(values, 'access-key-namespace') ?? podNamespace(),
    },
    logLevel: level,
  };
}
