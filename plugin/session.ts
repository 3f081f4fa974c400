/**
 * Which cluster and namespace a command talks to, found as kubectl finds them: `--kubeconfig`,
 * else the files of $KUBECONFIG (merged), else ~/.kube/config, else the pod's service account;
 * `--context` or the current context; `-n`, else the context's namespace, else `default`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeClient } from '../shared/kube/client.js';
import {
  connectionFromConfig,
  contextNamespace,
  inClusterConnection,
  podNamespace,
  readKubeconfig,
} from '../shared/kube/config.js';
import { type GlobalFlags, UsageError } from './args.js';

export interface Session {
  client: KubeClient;
  /** The namespace of the command (`-n`, the context's, or `default`). */
  namespace: string;
  /** `-A`: look in every namespace. */
  allNamespaces: boolean;
}

export function kubeconfigPaths(flags: GlobalFlags, env: NodeJS.ProcessEnv): string[] {
  if (flags.kubeconfig) return [flags.kubeconfig];
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) return listed.filter((p) => existsSync(p));
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

export function openSession(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Session {
  if (flags.namespace && flags.allNamespaces)
    throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
  const paths = kubeconfigPaths(flags, env);
  if (paths.length === 0) {
    if (env.KUBERNETES_SERVICE_HOST && !flags.context)
      return {
        client: new KubeClient(inClusterConnection(env)),
        namespace: flags.namespace ?? podNamespace(),
        allNamespaces: flags.allNamespaces,
      };
    throw new UsageError(
      'no kubeconfig found: pass --kubeconfig PATH, set KUBECONFIG, or create ~/.kube/config',
    );
  }
  const config = readKubeconfig(paths);
  const source = paths.length === 1 ? (paths[0] as string) : `KUBECONFIG (${paths.join(delimiter)})`;
  return {
    client: new KubeClient(connectionFromConfig(config, source, flags.context ?? config['current-context'])),
    namespace: flags.namespace ?? contextNamespace(config, flags.context) ?? 'default',
    allNamespaces: flags.allNamespaces,
  };
}
