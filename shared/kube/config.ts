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
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
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

export interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters?: { name: string; cluster: Record<string, string | boolean> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

/** Fields that name files, resolved against the directory of the kubeconfig that holds them. */
const CLUSTER_FILES = ['certificate-authority'];
const USER_FILES = ['client-certificate', 'client-key', 'tokenFile'];

function tokenFromFile(path: string): (reread?: boolean) => string | undefined {
  let cached: { value: string; at: number } | undefined;
  return (reread = false) => {
    if (reread || !cached || Date.now() - cached.at > 60_000)
      cached = { value: readFileSync(path, 'utf8').trim(), at: Date.now() };
    return cached.value;
  };
}

/**
 * A kubeconfig's text as data. JSON (a kubeconfig may be JSON: YAML 1.2 contains it) is read by
 * JSON.parse; anything else, a YAML flow mapping that is not JSON included, by the yaml package,
 * loaded only then: it holds about 3.5 MiB of resident memory for the rest of the process
 * (measured on Node 20 with the controller's flags), which a pod, reading its service account,
 * never pays.
 */
function parseKubeconfig(text: string): unknown {
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON: YAML decides, and its error is the one reported.
    }
  }
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(text);
}

/**
 * One kubeconfig from one file or several (a KUBECONFIG list), merged as kubectl merges them: the
 * first file that sets current-context wins, and the first entry of each name; paths of
 * certificate and token files are made absolute against their own file's directory.
 */
export function readKubeconfig(paths: string[]): KubeconfigFile {
  const merged: Required<KubeconfigFile> = { 'current-context': '', contexts: [], clusters: [], users: [] };
  for (const path of paths) {
    let file: KubeconfigFile;
    try {
      file = (parseKubeconfig(readFileSync(path, 'utf8')) ?? {}) as KubeconfigFile;
    } catch (error) {
      throw new ThurkubeError('Invalid', `cannot read kubeconfig ${path}: ${(error as Error).message}`);
    }
    const resolve = (entry: Record<string, unknown>, keys: string[]) => {
      const out = { ...entry };
      for (const key of keys) {
        const value = out[key];
        if (typeof value === 'string' && !isAbsolute(value)) out[key] = join(dirname(path), value);
      }
      return out;
    };
    if (!merged['current-context'] && file['current-context'])
      merged['current-context'] = file['current-context'];
    const add = <T extends { name: string }>(into: T[], from: T[] | undefined) => {
      for (const entry of from ?? []) if (!into.some((e) => e.name === entry.name)) into.push(entry);
    };
    add(merged.contexts, file.contexts);
    add(
      merged.clusters,
      file.clusters?.map((c) => ({ ...c, cluster: resolve(c.cluster, CLUSTER_FILES) as typeof c.cluster })),
    );
    add(
      merged.users,
      file.users?.map((u) => ({ ...u, user: resolve(u.user ?? {}, USER_FILES) })),
    );
  }
  return merged;
}

/** The default namespace of a context (`current-context` unless named), as kubectl uses it. */
export function contextNamespace(file: KubeconfigFile, contextName?: string): string | undefined {
  const name = contextName ?? file['current-context'];
  return file.contexts?.find((c) => c.name === name)?.context.namespace || undefined;
}

export function connectionFromKubeconfig(path: string, contextName?: string): Connection {
  return connectionFromConfig(readKubeconfig([path]), path, contextName);
}

/** The connection of a context of a (merged) kubeconfig; `path` names it in errors. */
export function connectionFromConfig(
  file: KubeconfigFile,
  path: string,
  contextName: string | undefined = file['current-context'],
): Connection {
  const context = file.contexts?.find((c) => c.name === contextName)?.context;
  if (!context)
    throw new ThurkubeError(
      'Invalid',
      `kubeconfig ${path}: ${file['current-context'] === contextName ? 'current-context' : 'context'} "${contextName ?? ''}" not found`,
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
  const fileOf = (value: unknown) => (typeof value === 'string' ? readFileSync(value, 'utf8') : undefined);
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
        ? tokenFromFile(user.tokenFile)
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
