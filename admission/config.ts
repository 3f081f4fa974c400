/** The admission service's settings, read once from its flags (and $KUBECONFIG) at start-up. */
import { parseArgs } from 'node:util';
import { CERT_FLAG_OPTIONS, CERT_FLAGS_HELP, type CertFlags, certFlagsFrom } from '../certs/flags.js';
import { ThurkubeError } from '../shared/errors.js';
import { ACCESS_KEY_SECRET, type AccessKeyRef } from '../shared/kube/access-key.js';
import { podNamespace } from '../shared/kube/config.js';
import { LOG_LEVELS, type LogLevel } from '../shared/log.js';
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

${CERT_FLAGS_HELP}`;

function listenAddress(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || port > 65_535)
    throw new ThurkubeError('Invalid', `--listen: "${value}" is not HOST:PORT, e.g. 127.0.0.1:8443`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** Parses the flags; `undefined` means --help was asked. Throws an Invalid error for bad flags. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): AdmissionConfig | undefined {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
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
        help: { type: 'boolean', short: 'h' },
        ...CERT_FLAG_OPTIONS,
      },
    }));
  } catch (error) {
    throw new ThurkubeError('Invalid', (error as Error).message);
  }
  if (values.help) return undefined;
  const missingRefs = String(values['missing-refs']);
  if (missingRefs !== 'deny' && missingRefs !== 'warn')
    throw new ThurkubeError('Invalid', `--missing-refs: "${missingRefs}" is not deny or warn`);
  const dryRunChildren = String(values['dry-run-children']);
  if (dryRunChildren !== 'true' && dryRunChildren !== 'false')
    throw new ThurkubeError('Invalid', `--dry-run-children: "${dryRunChildren}" is not true or false`);
  const logLevel = String(values['log-level']) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ThurkubeError('Invalid', `--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  return {
    kubeconfig: (values.kubeconfig as string | undefined) || env.KUBECONFIG || undefined,
    ...listenAddress(String(values.listen)),
    reusePort: values['reuse-port'] === true,
    tlsCertFile: String(values['tls-cert-file']),
    tlsKeyFile: String(values['tls-key-file']),
    certs: certFlagsFrom(values),
    missingRefs,
    dryRunChildren: dryRunChildren === 'true',
    controllerUsers: (values['controller-user'] as string[] | undefined) ?? [
      `system:serviceaccount:${podNamespace()}:thurkube-controller`,
    ],
    accessKeySecret: {
      name: String(values['access-key-secret']),
      namespace: (values['access-key-namespace'] as string | undefined) ?? podNamespace(),
    },
    logLevel,
  };
}
