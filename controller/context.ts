import type { KubeClient } from '../shared/kube/client.js';
import type { Logger } from '../shared/log.js';
import type { Caches } from './caches.js';
import type { EventRecorder } from './events.js';
import type { ControllerMetrics } from './metrics.js';

/** Everything a reconcile may use. Built once at start-up and passed down. */
export interface ControllerContext {
  client: KubeClient;
  caches: Caches;
  events: EventRecorder;
  metrics: ControllerMetrics;
  log: Logger;
  /** ClusterAccess support (ClusterRole and ClusterRoleBinding per AgentJob) is turned on. */
  clusterAccess: boolean;
  /** Checks the cluster-access authorizations the admission webhook signs; set with clusterAccess. */
  accessKey?: Buffer;
  /** How many runs status.runs keeps (--run-history). */
  runHistory: number;
  now(): Date;
}
