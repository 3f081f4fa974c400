/** Typed API clients for a cluster, always from an explicit kubeconfig file. */
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';

export function kubeConfigFrom(path: string): KubeConfig {
  if (!path) throw new Error('a kubeconfig path is required; the test harness never uses a default one');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  apps: AppsV1Api;
  rbac: RbacAuthorizationV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  apiext: ApiextensionsV1Api;
  admissionreg: AdmissionregistrationV1Api;
}

export function clientsFor(kc: KubeConfig): Clients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
    apiext: kc.makeApiClient(ApiextensionsV1Api),
    admissionreg: kc.makeApiClient(AdmissionregistrationV1Api),
  };
}
