/**
 * Where a service finds its cluster: an explicit kubeconfig path (flag or $KUBECONFIG) or, inside
 * a pod, the in-cluster service account. Tests and scripts always pass a path.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ThurkubeError } from '../errors.js';

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
    return kc;
  }
  if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return kc;
  }
  throw new ThurkubeError(
    'Invalid',
    'no cluster to talk to: pass --kubeconfig PATH (or set KUBECONFIG), or run inside a pod',
  );
}
