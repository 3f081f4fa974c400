/**
 * A CertificateSource that issues its own CA and serving certificate, keeps them in a Secret of the
 * release namespace, publishes the CA in both webhook configurations, and renews everything in
 * time. Several replicas may run it at once: the Secret is the single source of truth, written
 * with optimistic concurrency (create, or update at the resourceVersion read), and every replica
 * serves what it holds.
 *
 * The loop wakes at the next moment something is due, at every change of the Secret (a watch),
 * and at least every `pollIntervalMs` (a watch can miss events; a poll cannot).
 */
import { Backoff } from '../shared/backoff.js';
import { isKind, messageOf } from '../shared/errors.js';
import type { KubeClient } from '../shared/kube/client.js';
import { RESOURCES, resourcePath } from '../shared/kube/resources.js';
import { WatchCache } from '../shared/kube/watch-cache.js';
import { createLogger, type Logger } from '../shared/log.js';
import { DAY_MS, sleep } from '../shared/time.js';
import { joinPems, parseCert } from './inspect.js';
import { execute, type IssueOptions, serviceDnsNames, splitHosts } from './issue.js';
import { plan } from './plan.js';
import { isValidAt } from './renewal.js';
import type { CertificateSource, ServingCertificate } from './source.js';
import {
  ANNOTATION_NEXT_CA_PUBLISHED,
  ANNOTATION_NEXT_CA_TRUSTED,
  type CertState,
  type SecretObject,
  secretFor,
  stateFromSecret,
} from './state.js';
import { injectCaBundle, webhooksTrust } from './webhook-ca.js';

export interface SecretSourceOptions {
  client: KubeClient;
  /** The release namespace: where the Secret lives and where the Service is. */
  namespace: string;
  secretName: string;
  /** The admission Service; its DNS names go into the serving certificate. */
  serviceName: string;
  /** Name of both webhook configurations (mutating and validating) whose caBundle we keep; none when unset. */
  webhookConfigurationName?: string;
  /** More names for the certificate, IPs or DNS names (127.0.0.1 when webhooks are registered by URL). */
  extraHosts?: string[];
  clusterDomain?: string;
  /** Defaults: CA 365 days, serving certificate 30 days; both renewed at 2/3 of their lifetime. */
  caLifetimeMs?: number;
  leafLifetimeMs?: number;
  /** How long a next CA stays in the caBundle before it signs anything (API server caches). */
  overlapMs?: number;
  pollIntervalMs?: number;
  now?: () => Date;
  log?: Logger;
}

export class SecretCertificateSource implements CertificateSource {
  private cert?: ServingCertificate;
  private readonly listeners: ((cert: ServingCertificate) => void)[] = [];
  private readonly issue: IssueOptions;
  private readonly now: () => Date;
  private readonly log: Logger;
  private wakeUp?: () => void;
  private dirty = false;
  private loaded?: () => void;
  /** Settles when both loops have ended after the start signal aborted. */
  stopped: Promise<void> = Promise.resolve();

  constructor(private readonly options: SecretSourceOptions) {
    const hosts = splitHosts(options.extraHosts ?? []);
    this.issue = {
      commonName: `${options.serviceName}.${options.namespace}.svc`,
      dnsNames: [
        ...serviceDnsNames(options.serviceName, options.namespace, options.clusterDomain),
        ...hosts.dnsNames,
      ],
      ipAddresses: hosts.ipAddresses,
      caLifetimeMs: options.caLifetimeMs ?? 365 * DAY_MS,
      leafLifetimeMs: options.leafLifetimeMs ?? 30 * DAY_MS,
    };
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? createLogger('certs', 'silent');
  }

  current(): ServingCertificate | undefined {
    return this.cert;
  }

  onChange(listener: (cert: ServingCertificate) => void): void {
    this.listeners.push(listener);
  }

  healthy(now: Date = this.now()): boolean {
    return this.cert !== undefined && isValidAt(this.cert, now);
  }

  /** Resolves once the first certificate is served; renewal goes on until `signal` aborts. */
  start(signal: AbortSignal): Promise<void> {
    const first = new Promise<void>((resolve, reject) => {
      this.loaded = resolve;
      signal.addEventListener('abort', () => reject(new Error('stopped before a certificate was loaded')), {
        once: true,
      });
    });
    first.catch(() => undefined);
    this.stopped = Promise.all([this.run(signal), this.watch(signal)]).then(() => undefined);
    return this.cert ? Promise.resolve() : first;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(200, 30_000);
    const poll = this.options.pollIntervalMs ?? 60_000;
    while (!signal.aborted) {
      let waitMs: number;
      try {
        const recheckAt = await this.reconcile();
        backoff.reset();
        waitMs = Math.max(0, Math.min(poll, recheckAt.getTime() - this.now().getTime()));
      } catch (error) {
        // A Conflict means another replica wrote first: read its result at once (with a little jitter).
        waitMs = isKind(error, 'Conflict') ? Math.random() * 100 : backoff.next();
        if (!isKind(error, 'Conflict'))
          this.log.warn({ err: messageOf(error), retryInMs: waitMs }, 'certificates');
      }
      await this.pause(waitMs, signal);
    }
  }

  /** One pass: read, decide, write if needed, serve, publish the CA. Returns when to look again. */
  private async reconcile(): Promise<Date> {
    const { client, namespace, secretName, webhookConfigurationName } = this.options;
    let secret = await this.readSecret();
    const decoded = secret ? stateFromSecret(secret) : undefined;
    let state = decoded?.state;
    const nextCaTrusted =
      state?.nextCa && webhookConfigurationName
        ? await webhooksTrust(client, webhookConfigurationName, state.nextCa.certPem)
        : true;
    const now = this.now();
    const step = plan({
      state,
      problem: decoded?.problem,
      dnsNames: this.issue.dnsNames,
      ipAddresses: this.issue.ipAddresses,
      now,
      nextCaTrusted,
      overlapMs: this.options.overlapMs ?? 60_000,
    });
    if (step.action !== 'keep') {
      this.log.info(
        { action: step.action, reason: step.reason, secret: `${namespace}/${secretName}` },
        'certificates',
      );
      state = await execute(step, state, this.issue, now);
      secret = await this.writeSecret(state, secret);
    }
    if (!state || !secret) throw new Error('unreachable: no certificate state after planning');
    this.serve(state);
    if (webhookConfigurationName) {
      const outcome = await injectCaBundle(client, webhookConfigurationName, joinPems(state.trusted), {
        uid: secret.metadata.uid ?? '',
        generation: state.generation,
      });
      this.log.debug({ outcome }, 'caBundle');
    }
    return step.action === 'keep' ? step.recheckAt : now;
  }

  private async readSecret(): Promise<SecretObject | undefined> {
    try {
      return await this.options.client.get<SecretObject>(RESOURCES.secrets, {
        namespace: this.options.namespace,
        name: this.options.secretName,
      });
    } catch (error) {
      if (isKind(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  /** Create, or replace at the resourceVersion read; either throws Conflict when another writer won. */
  private async writeSecret(state: CertState, existing: SecretObject | undefined): Promise<SecretObject> {
    const { client, namespace, secretName } = this.options;
    const body = secretFor(state, {
      name: secretName,
      namespace,
      resourceVersion: existing?.metadata.resourceVersion,
    });
    if (!existing) return client.create<SecretObject>(RESOURCES.secrets, body);
    // Keep what others put on the Secret (labels, annotations), minus the rotation markers we own.
    const annotations = { ...existing.metadata.annotations, ...body.metadata.annotations };
    if (!state.nextCa) delete annotations[ANNOTATION_NEXT_CA_PUBLISHED];
    if (!state.nextCaTrustedSince) delete annotations[ANNOTATION_NEXT_CA_TRUSTED];
    body.metadata.labels = { ...existing.metadata.labels, ...body.metadata.labels };
    body.metadata.annotations = annotations;
    return client.request<SecretObject>(
      'PUT',
      resourcePath(RESOURCES.secrets, { namespace, name: secretName }),
      {
        body,
      },
    );
  }

  private serve(state: CertState): void {
    if (this.cert?.certPem === state.leaf.certPem) return;
    const info = parseCert(state.leaf.certPem);
    this.cert = { ...state.leaf, notBefore: info.notBefore, notAfter: info.notAfter };
    this.log.info(
      { serial: info.serialNumber, notAfter: info.notAfter.toISOString() },
      'serving certificate',
    );
    this.loaded?.();
    for (const listener of this.listeners) {
      try {
        listener(this.cert);
      } catch (error) {
        this.log.error({ err: messageOf(error) }, 'certificate listener failed');
      }
    }
  }

  /** Waits `ms`, or less when the Secret changed or `signal` aborted. */
  private pause(ms: number, signal: AbortSignal): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    const wake = new AbortController();
    this.wakeUp = () => wake.abort();
    const both = AbortSignal.any([signal, wake.signal]);
    return sleep(ms, both).finally(() => {
      this.wakeUp = undefined;
    });
  }

  private wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.dirty = true;
  }

  /**
   * Watches the one Secret (by name, so RBAC can stay on that name) to hear of other replicas'
   * writes. The first list is what the loop reads anyway, so only changes after it wake the loop.
   */
  private watch(signal: AbortSignal): Promise<void> {
    const { client, namespace, secretName } = this.options;
    const secret = new WatchCache<SecretObject>({
      client,
      type: RESOURCES.secrets,
      namespace,
      fieldSelector: `metadata.name=${secretName}`,
      // Only that it changed matters here: the keys stay out of this cache.
      transform: (object) => ({ ...object, data: {} }),
      onError: (message) => this.log.debug({ err: message }, 'certificate Secret watch; polling continues'),
    });
    secret.on(() => {
      if (secret.health.synced) this.wake();
    });
    return secret.run(signal);
  }
}
