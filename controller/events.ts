/**
 * Events on AgentJobs (events.k8s.io/v1), deduplicated: the same reason and note for the same
 * object is written once per window, so a reconcile that repeats itself does not spam.
 */
import { randomBytes } from 'node:crypto';
import { API_VERSION } from '../shared/api.js';
import type { KubeClient } from '../shared/kube/client.js';
import { RESOURCES } from '../shared/kube/resources.js';
import type { Logger } from '../shared/log.js';
import { microTime } from '../shared/time.js';

export interface EventTarget {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

const WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly controllerName: string,
    private readonly instance: string,
    private readonly log: Logger,
  ) {}

  /** Fire and forget: an event that cannot be written never fails a reconcile. */
  record(target: EventTarget, type: EventType, reason: string, note: string, action = reason): void {
    const key = `${target.uid}\0${reason}\0${note}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < WINDOW_MS) return;
    if (this.recent.size >= MAX_REMEMBERED) this.recent.clear();
    this.recent.set(key, now);
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${target.name}.${randomBytes(8).toString('hex')}`, namespace: target.namespace },
      eventTime: microTime(new Date(now)),
      type,
      reason,
      action,
      note: note.slice(0, 1024),
      reportingController: this.controllerName,
      reportingInstance: this.instance,
      regarding: {
        apiVersion: API_VERSION,
        kind: 'AgentJob',
        name: target.name,
        namespace: target.namespace,
        uid: target.uid,
        resourceVersion: target.resourceVersion,
      },
    };
    this.client.createUnread(RESOURCES.events, body).catch((error: Error) => {
      this.log.warn(
        { err: error.message, reason, agentJob: `${target.namespace}/${target.name}` },
        'could not record event',
      );
    });
  }
}
