/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does: a replica
 * leads while it renews the lease; others take over when it has not been renewed for
 * `leaseDurationSeconds` as *they* observe it (no clock comparison between machines); writes use
 * the lease's resourceVersion, so two replicas can never both win. On shutdown the leader
 * releases the lease so a standby takes over at once.
 */
import { isKind, messageOf } from '../shared/errors.js';
import type { KubeClient, KubeObject } from '../shared/kube/client.js';
import { RESOURCES, resourcePath } from '../shared/kube/resources.js';
import type { Logger } from '../shared/log.js';
import { microTime, sleep } from '../shared/time.js';

export interface LeaderOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private leading = false;
  private observedRecord = '';
  private observedAt = 0;
  private lastRenew = 0;
  private lease?: Lease;
  private readonly renewDeadline: number;

  constructor(private readonly o: LeaderOptions) {
    this.renewDeadline = o.renewDeadlineMs ?? 10_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Safe to write: leading, with the last renewal younger than the renew deadline. Others take
   * over only after the lease duration (longer) without a renewal, so this turns false before
   * anyone else can lead, even when the loop that steps down is late (a renewal hanging).
   */
  holds(): boolean {
    return this.leading && Date.now() - this.lastRenew < this.renewDeadline;
  }

  /** True once the lease has been read: this replica knows whether it leads. */
  get known(): boolean {
    return this.observedAt > 0 || this.leading;
  }

  /** Campaigns and renews until `signal` aborts, then releases the lease if held. */
  async run(signal: AbortSignal): Promise<void> {
    const duration = this.o.leaseDurationSeconds ?? 15;
    const renewDeadline = this.renewDeadline;
    const retry = this.o.retryPeriodMs ?? 2_000;
    while (!signal.aborted) {
      try {
        const held = await this.tryAcquireOrRenew(duration);
        if (held) {
          this.lastRenew = Date.now();
          if (!this.leading) {
            this.leading = true;
            this.o.log.info(
              { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity },
              'became the leader',
            );
            this.o.onStartedLeading();
          }
        } else if (this.leading) {
          this.stepDown('another replica holds the lease');
        }
      } catch (error) {
        this.o.log.warn({ err: messageOf(error) }, 'leader election: could not read or renew the lease');
        if (this.leading && Date.now() - this.lastRenew > renewDeadline)
          this.stepDown('could not renew the lease in time');
      }
      await sleep(retry, signal);
    }
    await this.release();
  }

  private stepDown(why: string): void {
    this.leading = false;
    this.o.log.warn({ why }, 'stopped leading');
    this.o.onStoppedLeading();
  }

  private path(name?: string): string {
    return resourcePath(RESOURCES.leases, { namespace: this.o.namespace, name });
  }

  private async tryAcquireOrRenew(duration: number): Promise<boolean> {
    const now = new Date();
    let lease: Lease | undefined;
    try {
      lease = await this.o.client.request<Lease>('GET', this.path(this.o.name), { timeoutMs: 5000 });
    } catch (error) {
      if (!isKind(error, 'NotFound')) throw error;
    }
    if (!lease) {
      const created = await this.o.client
        .request<Lease>('POST', this.path(), {
          timeoutMs: 5000,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: {
              holderIdentity: this.o.identity,
              leaseDurationSeconds: duration,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
        })
        .catch((error) => {
          if (isKind(error, 'Conflict')) return undefined;
          throw error;
        });
      this.lease = created;
      return created !== undefined;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const mine = spec.holderIdentity === this.o.identity;
    const expired =
      !spec.holderIdentity || Date.now() > this.observedAt + (spec.leaseDurationSeconds ?? duration) * 1000;
    if (!mine && !expired) return false;
    const updated: Lease = {
      ...lease,
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: duration,
        acquireTime: mine ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      this.lease = await this.o.client.request<Lease>('PUT', this.path(this.o.name), {
        body: updated,
        timeoutMs: 5000,
      });
      return true;
    } catch (error) {
      if (isKind(error, 'Conflict')) return false;
      throw error;
    }
  }

  private async release(): Promise<void> {
    if (!this.leading || !this.lease) return;
    this.leading = false;
    this.o.onStoppedLeading();
    const now = new Date();
    try {
      await this.o.client.request('PUT', this.path(this.o.name), {
        timeoutMs: 3000,
        body: {
          ...this.lease,
          spec: {
            ...this.lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: microTime(now),
          },
        },
      });
      this.o.log.info('released the leader lease');
    } catch (error) {
      this.o.log.warn({ err: messageOf(error) }, 'could not release the leader lease; it expires by itself');
    }
  }
}
