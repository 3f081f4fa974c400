/** Reads apiserver_request_total from the API server's own /metrics, to count writes by resource. */
import type { KubeClient } from '../../shared/kube/client.js';

export interface RequestCount {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  code: string;
  value: number;
}

export async function requestCounts(client: KubeClient): Promise<RequestCount[]> {
  const text = await client.request<string>('GET', '/metrics', { text: true });
  const out: RequestCount[] = [];
  for (const line of String(text).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out.push({
      verb: labels.verb ?? '',
      group: labels.group ?? '',
      resource: labels.resource ?? '',
      subresource: labels.subresource ?? '',
      code: labels.code ?? '',
      value: Number(line.slice(line.lastIndexOf(' ') + 1)),
    });
  }
  return out;
}

const WRITE_VERBS = new Set(['POST', 'PATCH', 'PUT', 'DELETE', 'APPLY', 'CREATE', 'UPDATE']);

/** The writes a thurkube controller makes (children, AgentJob status and metadata, our events). */
export function controllerWrites(counts: RequestCount[]): number {
  return counts
    .filter((c) => WRITE_VERBS.has(c.verb))
    .filter(
      (c) =>
        (c.group === 'thurkube.thurbeen.eu' && c.resource === 'agentjobs' && c.verb !== 'POST') ||
        (c.group === '' &&
          ['configmaps', 'persistentvolumeclaims', 'serviceaccounts'].includes(c.resource)) ||
        (c.group === 'batch' && ['jobs', 'cronjobs'].includes(c.resource) && c.subresource === '') ||
        (c.group === 'events.k8s.io' && c.resource === 'events'),
    )
    .reduce((sum, c) => sum + c.value, 0);
}
