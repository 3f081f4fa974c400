import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  capturedReview,
  type Harness,
  NS,
  reviewWith,
  startHarness,
} from '../test/fixtures/admission/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** The full AgentJob without cluster access: one review, no authorization to record. */
const plainJob = () => reviewWith('validate-agentjob-create', { clusterAccessRef: undefined });

const post = (body: string, contentType = 'application/json') =>
  h.request('/validate', { method: 'POST', headers: { 'Content-Type': contentType }, body });

describe('the HTTP edge', () => {
  it('answers /healthz', async () => {
    const res = await h.request('/healthz');
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
  });

  const malformed: [string, () => unknown, string][] = [
    ['a body that is not JSON', () => '{"apiVersion":', 'body is not JSON'],
    [
      'another apiVersion',
      () => ({ ...capturedReview('validate-agentjob-create'), apiVersion: 'admission.k8s.io/v1beta1' }),
      'not an AdmissionReview: apiVersion: must be "admission.k8s.io/v1", not "admission.k8s.io/v1beta1"',
    ],
    [
      'another kind',
      () => ({ ...capturedReview('validate-agentjob-create'), kind: 'TokenReview' }),
      'not an AdmissionReview: kind: must be "AdmissionReview", not "TokenReview"',
    ],
    [
      'no request',
      () => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      'request: required',
    ],
    [
      'a request without uid',
      () => {
        const review = capturedReview('validate-agentjob-create') as { request: Partial<{ uid: string }> };
        delete review.request.uid;
        return review;
      },
      'request.uid: required',
    ],
  ];
  for (const [what, body, reason] of malformed) {
    it(`answers 400 with the reason for ${what}, echoing the uid it could read`, async () => {
      const sent = body();
      const res = await post(typeof sent === 'string' ? sent : JSON.stringify(sent));
      expect(res.status).toBe(400);
      const { response } = (await res.json()) as {
        response: { uid: string; allowed: boolean; status: { message: string } };
      };
      expect(response.allowed).toBe(false);
      expect(response.status.message).toContain(reason);
      const uid = (sent as { request?: { uid?: string } }).request?.uid ?? '';
      expect(response.uid).toBe(uid);
    });
  }

  it('answers 413 to a body over 3 MiB', async () => {
    const res = await post(JSON.stringify({ padding: 'x'.repeat(3 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(
      ((await res.json()) as { response: { status: { message: string } } }).response.status.message,
    ).toBe('request body is larger than 3145728 bytes');
  });

  it('answers 415 to a body that is not declared JSON', async () => {
    const res = await post(JSON.stringify(capturedReview('validate-agentjob-create')), 'text/plain');
    expect(res.status).toBe(415);
  });

  it('counts reviews by kind, operation and result, and times them', async () => {
    await h.post('/validate', plainJob(), { raw: true });
    const text = await (await h.request('/metrics')).text();
    expect(text).toContain(
      'thurkube_admission_requests_total{kind="AgentJob",operation="CREATE",result="allowed"} 1',
    );
    expect(text).toMatch(
      /thurkube_admission_request_duration_seconds_count\{kind="AgentJob",operation="CREATE"\} 1/,
    );
    expect(text).toContain(
      'thurkube_admission_requests_total{kind="unknown",operation="unknown",result="error"}',
    );
  });

  it('logs one line per review: a denial with who asked for what and why', async () => {
    const review = reviewWith('validate-agentjob-create', { runtimeRef: 'no-such-runtime' });
    h.logs.length = 0;
    const { response } = await h.post('/validate', review, { raw: true });
    expect(response.allowed).toBe(false);
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({
      level: 'info',
      msg: 'review',
      webhook: 'validate',
      uid: review.request.uid,
      kind: 'AgentJob',
      namespace: NS,
      name: 'pr-fixer',
      operation: 'CREATE',
      user: review.request.userInfo.username,
      allowed: false,
      code: 422,
    });
    expect(h.logs[0]?.message).toContain('no-such-runtime');
    expect(typeof h.logs[0]?.durationMs).toBe('number');
  });

  it('logs an admitted review at info too, without Secret values', async () => {
    const review = plainJob();
    h.logs.length = 0;
    expect((await h.post('/validate', review, { raw: true })).response.allowed).toBe(true);
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({ level: 'info', webhook: 'validate', allowed: true, name: 'pr-fixer' });
    // The harness's Secrets hold this value; the webhook read their keys (warnings) but never logs data.
    expect(JSON.stringify(h.logs)).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
  });

  it('logs no review line below its level (--log-level warn)', async () => {
    const quiet = await startHarness({ logLevel: 'warn' });
    try {
      expect((await quiet.post('/validate', plainJob(), { raw: true })).response.allowed).toBe(true);
      expect(quiet.logs.filter((l) => l.msg === 'review')).toHaveLength(0);
    } finally {
      await quiet.close();
    }
  });
});

describe('readiness', () => {
  it('answers 503 with the reasons until it is ready', async () => {
    let reasons = ['watch cache agentjobs not synced'];
    const r = await startHarness({ notReady: () => reasons });
    try {
      const res = await r.request('/readyz');
      expect([res.status, await res.text()]).toEqual([503, 'not ready: watch cache agentjobs not synced']);
      reasons = [];
      expect((await r.request('/readyz')).status).toBe(200);
    } finally {
      await r.close();
    }
  });
});

describe('a review it cannot decide', () => {
  const missing = () => {
    const review = capturedReview('validate-agentjob-create');
    if (review.request.object) review.request.object.spec.runtimeRef = 'not-in-any-cache';
    return review;
  };

  it('is denied, saying why, when the API server is unreachable', async () => {
    const down = await startHarness();
    try {
      await down.stopApi();
      const review = missing();
      const { status, response } = await down.post('/validate', review);
      expect(status).toBe(200);
      expect(response.uid).toBe(review.request.uid);
      expect(response.allowed).toBe(false);
      expect(response.status?.code).toBe(503);
      expect(response.status?.message).toMatch(
        /^thurkube admission could not decide: could not read AgentRuntime "not-in-any-cache": .*ECONNREFUSED/,
      );
    } finally {
      await down.close();
    }
  });

  it('is denied before the webhook timeout when the API server is too slow', async () => {
    const slow = await startHarness({ delayMs: 3000, deadlineMs: 400 });
    try {
      const started = Date.now();
      const { response } = await slow.post('/validate', missing());
      expect(Date.now() - started).toBeLessThan(1500);
      expect(response.allowed).toBe(false);
      expect(response.status?.message).toBe('thurkube admission could not decide: no decision within 400 ms');
    } finally {
      await slow.close();
    }
  });

  it('keeps many concurrent reviews on one deadline without a listener-leak warning', async () => {
    const slow = await startHarness({ delayMs: 200 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      // Thirty reviews inside one deadline slot, each waiting on a live GET (a cache miss).
      const answers = await Promise.all(Array.from({ length: 30 }, () => slow.post('/validate', missing())));
      expect(answers.map((a) => a.response.status?.message)).toEqual(
        Array(30).fill(
          `AgentJob "pr-fixer" is invalid: spec.runtimeRef: AgentRuntime "not-in-any-cache" not found in namespace "${NS}"`,
        ),
      );
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await slow.close();
    }
  });
});
