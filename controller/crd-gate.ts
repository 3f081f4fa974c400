/**
 * Holds the work queue until the installed CRDs are the ones this build needs (crd-check.ts).
 * While they are older, nothing is reconciled, so the API server gets no writes that cannot
 * succeed (on the Rust original's CRDs every status write is refused: 11,165 failing requests in
 * three minutes for 1,000 AgentJobs); the log, /readyz and an event on each outdated CRD say what
 * to run. The CRDs are read again every `intervalMs` (reads only), and work starts by itself once
 * they are current.
 */
import { randomBytes } from 'node:crypto';
import type { KindName } from '../shared/api.js';
import { crdName } from '../shared/crd/build.js';
import { messageOf } from '../shared/errors.js';
import type { KubeClient } from '../shared/kube/client.js';
import { RESOURCES } from '../shared/kube/resources.js';
import type { Logger } from '../shared/log.js';
import { microTime, sleep } from '../shared/time.js';
import { CRD_REMEDY, crdProblems } from './crd-check.js';

export const CRD_CHECK_INTERVAL_MS = 30_000;

export interface CrdGateOptions {
  client: KubeClient;
  log: Logger;
  controllerName: string;
  instance: string;
  /** Whether this replica may write (events): standbys stay silent. */
  mayWrite: () => boolean;
  intervalMs?: number;
}

export class CrdGate {
  /** For /readyz: empty once the CRDs are current. */
  problems: string[] = ['the installed CRDs have not been checked yet'];
  private reported = '';
  private evented = '';

  constructor(private readonly options: CrdGateOptions) {}

  /** Resolves once the CRDs are current (or on abort). */
  async waitUntilCurrent(signal: AbortSignal): Promise<void> {
    const { log, intervalMs = CRD_CHECK_INTERVAL_MS } = this.options;
    while (!signal.aborted) {
      let found: { kind: KindName; problem: string }[];
      try {
        found = await crdProblems(this.options.client);
      } catch (error) {
        this.problems = [`cannot read the installed CRDs: ${messageOf(error)}`];
        log.warn({ err: messageOf(error) }, 'cannot read the installed CRDs; trying again');
        await sleep(Math.min(intervalMs, 5000), signal);
        continue;
      }
      if (found.length === 0) {
        if (this.reported) log.info('the installed CRDs are current now; reconciling');
        this.problems = [];
        return;
      }
      this.problems = [...found.map((f) => f.problem), `to update them: ${CRD_REMEDY}`];
      const summary = found.map((f) => f.problem).join('; ');
      if (summary !== this.reported) {
        this.reported = summary;
        log.error(
          { crds: found.map((f) => f.problem), remedy: CRD_REMEDY },
          `the installed CRDs are older than this controller, so it reconciles nothing until they are updated: ${CRD_REMEDY}`,
        );
      }
      // Said once per problem, by the replica that may write (a standby becomes one when it leads).
      if (summary !== this.evented && this.options.mayWrite()) {
        this.evented = summary;
        for (const f of found) this.event(f.kind, f.problem);
      }
      await sleep(intervalMs, signal);
    }
  }

  /** One Warning event on the CRD (cluster-scoped, so in `default`); never fails the gate. */
  private event(kind: KindName, problem: string): void {
    const { client, controllerName, instance, log } = this.options;
    const name = crdName(kind);
    const now = new Date();
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace: 'default' },
      eventTime: microTime(now),
      type: 'Warning',
      reason: 'CRDOutdated',
      action: 'Check',
      note: `${problem}; thurkube reconciles nothing until it is updated: ${CRD_REMEDY}`.slice(0, 1024),
      reportingController: controllerName,
      reportingInstance: instance,
      regarding: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name },
    };
    client.createUnread(RESOURCES.events, body).catch((error: Error) => {
      log.warn({ err: error.message, crd: name }, 'could not record event');
    });
  }
}
