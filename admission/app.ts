/**
 * The admission app: POST /mutate and /validate (AdmissionReview v1), GET /healthz, /readyz and
 * /metrics. Each route decodes, calls a decision, encodes; it logs one line and counts one review.
 * Testable without a socket through `app.request()`.
 */
import { type Context, Hono } from 'hono';
import { KIND_NAMES } from '../shared/api.js';
import type { Logger } from '../shared/log.js';
import { addHealthRoutes } from '../shared/service/health.js';
import { formatIssues } from '../shared/validation.js';
import { MUTATE_PATH, VALIDATE_PATH, WEBHOOK_TIMEOUT_SECONDS } from '../shared/webhooks.js';
import { type Env, failure, readReview, reply, withDeadline } from './edge.js';
import type { Lookups } from './lookups.js';
import { AdmissionMetrics, type Result } from './metrics.js';
import { mutate } from './mutate.js';
import type { AdmissionResponse } from './responses.js';
import * as respond from './responses.js';
import { type AdmissionRequest, nameOf } from './review.js';
import { validate } from './validate.js';
import type { Settings } from './verdict.js';

/** A second less than the API server waits, so that our denial, not its timeout, is what users see. */
export const NOOP_PATH = '/noop';

export const REVIEW_DEADLINE_MS = (WEBHOOK_TIMEOUT_SECONDS - 1) * 1000;

export interface AppDeps {
  lookups: Lookups;
  settings: Settings;
  logger: Logger;
  metrics?: AdmissionMetrics;
  /** Why the service cannot serve yet (caches not synced, no valid certificate); empty when ready. */
  notReady?: () => string[];
  deadlineMs?: number;
}

type Decide = (request: AdmissionRequest, signal: AbortSignal) => Promise<AdmissionResponse>;

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const metrics = deps.metrics ?? new AdmissionMetrics();
  const deadlineMs = deps.deadlineMs ?? REVIEW_DEADLINE_MS;
  // The review line holds only scalars picked below, never an object that could carry a Secret,
  // so it skips the redaction pass: one line per review, thousands a second.
  const reviewLog = deps.logger.child({}, { redact: false });

  const record = (
    webhook: string,
    started: number,
    response: AdmissionResponse,
    status: number,
    request?: AdmissionRequest,
  ) => {
    const seconds = (performance.now() - started) / 1000;
    const code = response.status?.code ?? 200;
    const result: Result = response.allowed ? 'allowed' : status !== 200 || code >= 500 ? 'error' : 'denied';
    // Only our kinds become label values: a stray review must not grow the series without bound.
    const kind = KIND_NAMES.find((k) => k === request?.kind.kind) ?? (request ? 'other' : 'unknown');
    metrics.observe(kind, request?.operation ?? 'unknown', result, seconds);
    const level = result === 'error' ? 'warn' : 'info';
    if (!reviewLog.isLevelEnabled(level)) return;
    reviewLog[level](
      {
        webhook,
        uid: response.uid,
        kind: request?.kind.kind,
        namespace: request?.namespace,
        name: request ? nameOf(request) : undefined,
        operation: request?.operation,
        user: request?.userInfo.username,
        allowed: response.allowed,
        patched: response.patch !== undefined,
        warnings: response.warnings?.length ?? 0,
        code,
        message: response.status?.message,
        durationMs: Math.round(seconds * 10_000) / 10,
      },
      'review',
    );
  };

  const route = (webhook: string, decide: Decide) => async (c: Context<Env>) => {
    const started = performance.now();
    let request: AdmissionRequest | undefined;
    let response: AdmissionResponse;
    let status = 200;
    try {
      request = await readReview(c);
      const decoded = request;
      response = await withDeadline(deadlineMs, (signal) => decide(decoded, signal));
    } catch (error) {
      ({ status, response } = failure(error, c.get('uid') ?? ''));
    }
    record(webhook, started, response, status, request);
    c.get('release')?.();
    return reply(c, response, status);
  };

  addHealthRoutes(app, { registry: metrics.registry, notReady: deps.notReady });

  app.post(
    MUTATE_PATH,
    route('mutate', async (request, signal) => {
      const result = await mutate(request, deps.lookups, signal, deps.settings);
      return result.allowed
        ? respond.patched(request.uid, result.patch)
        : respond.denied(request.uid, result.message, 422);
    }),
  );
  app.post(
    VALIDATE_PATH,
    route('validate', async (request, signal) => {
      const v = await validate(request, deps.lookups, deps.settings, signal);
      if (v.allowed) return respond.allowed(request.uid, v.warnings);
      const what = v.forbidden ? 'forbidden' : 'invalid';
      const message = `${request.kind.kind} "${nameOf(request)}" is ${what}: ${formatIssues(v.issues)}`;
      return respond.denied(request.uid, message, v.forbidden ? 403 : 422, v.warnings);
    }),
  );

  // The benchmark's floor: the same TLS, body limit, decoding and encoding, and no decision. It
  // answers "allowed" to anything and writes nothing; no webhook configuration points at it.
  app.post(NOOP_PATH, async (c) => {
    let request: AdmissionRequest;
    try {
      request = await readReview(c);
    } catch (error) {
      const { status, response } = failure(error, c.get('uid') ?? '');
      return reply(c, response, status);
    } finally {
      c.get('release')?.();
    }
    return reply(c, respond.allowed(request.uid, []), 200);
  });

  // Whatever escapes a route (the body limit, a bug): still an AdmissionReview, never a crash.
  app.onError((error, c) => {
    c.get('release')?.();
    const { status, response } = failure(error, c.get('uid') ?? '');
    record(c.req.path === MUTATE_PATH ? 'mutate' : 'validate', performance.now(), response, status);
    return reply(c, response, status);
  });
  app.notFound((c) => c.text(`no route for ${c.req.method} ${c.req.path}`, 404));
  return app;
}
