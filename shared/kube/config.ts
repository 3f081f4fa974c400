/**
 * Where a service finds its cluster: an explicit kubeconfig file (flag or $KUBECONFIG) or, inside
 * a pod, the in-cluster service account. Tests and scripts always pass a path.
 *
 * This is a small reader of our own rather than client-node's KubeConfig: loading client-node
 * costs about 75 MiB of memory per process (it brings every generated API model), more than the
 * rest of a service together. Supported: client certificates, bearer tokens and token files,
 * CA data or files. Exec and auth-provider plugins are refused with a clear message.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { ThurkubeError } from '../errors.js';

export interface Connection {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify?: boolean;
  /**
   * Current bearer token; a token file is re-read every minute (service-account tokens rotate),
   * and at once with `reread` (the API server answered 401).
   */
  token?: (reread?: boolean) => string | undefined;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The namespace of the pod this process runs in, from its service account; else "default". */
export function podNamespace(): string {
  try {
    return readFileSync(join(SA_DIR, 'namespace'), 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, string | boolean> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

function tokenFromFile(path: string): (reread?: boolean) => string | undefined {
  let cached: { value: string; at: number } | undefined;
  return (reread = false) => {
    if (reread || !cached || Date.now() - cached.at > 60_000)
      cached = { value: readFileSync(path, 'utf8').trim(), at: Date.now() };
    return cached.value;
  };
}

export function connectionFromKubeconfig(path: string): Connection {
  let file: KubeconfigFile;
  try {
    file = parse(readFileSync(path, 'utf8')) as KubeconfigFile;
  } catch (error) {
    throw new ThurkubeError('Invalid', `cannot read kubeconfig ${path}: ${(error as Error).message}`);
  }
  const base = dirname(path);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const contextName = file['current-context'];
  const context = file.contexts?.find((c) => c.name === contextName)?.context;
  if (!context)
    throw new ThurkubeError(
      'Invalid',
      `kubeconfig ${path}: current-context "${contextName ?? ''}" not found`,
    );
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster?.server)
    throw new ThurkubeError('Invalid', `kubeconfig ${path}: cluster "${context.cluster}" has no server`);
  if (user.exec || user['auth-provider']) {
    throw new ThurkubeError(
      'Invalid',
      `kubeconfig ${path}: user "${context.user}" uses an exec or auth-provider plugin, which thurkube does not run; use a client certificate or a token`,
    );
  }
  const data = (value: unknown) =>
    typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  const fileOf = (value: unknown) =>
    typeof value === 'string' ? readFileSync(resolve(value), 'utf8') : undefined;
  const token = typeof user.token === 'string' ? user.token : undefined;
  return {
    server: String(cluster.server),
    ca: data(cluster['certificate-authority-data']) ?? fileOf(cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    cert: data(user['client-certificate-data']) ?? fileOf(user['client-certificate']),
    key: data(user['client-key-data']) ?? fileOf(user['client-key']),
    token: token
      ? () => token
      : typeof user.tokenFile === 'string'
        ? tokenFromFile(resolve(user.tokenFile))
        : undefined,
  };
}

export function inClusterConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new ThurkubeError('Invalid', 'not running in a pod: KUBERNETES_SERVICE_HOST is unset');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SA_DIR, 'ca.crt'), 'utf8'),
    token: tokenFromFile(join(SA_DIR, 'token')),
  };
}

export function loadKubeConfig(path: string | undefined): Connection {
  if (path) return connectionFromKubeconfig(path);
  if (process.env.KUBERNETES_SERVICE_HOST) return inClusterConnection();
  throw new ThurkubeError(
    'Invalid',
    'no cluster to talk to: pass --kubeconfig PATH (or set KUBECONFIG), or run inside a pod',
  );
}
