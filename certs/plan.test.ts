/** The renewal plan, step by step and over months of a simulated clock. */
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../shared/time.js';
import { keyMatches, parseCert, samePem, signedBy } from './inspect.js';
import { execute, type IssueOptions, serviceDnsNames } from './issue.js';
import { type Plan, type PlanInput, plan } from './plan.js';
import type { CertState } from './state.js';

const start = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(start.getTime() + days * DAY_MS);
const names = serviceDnsNames('svc', 'ns');
const options: IssueOptions = {
  commonName: 'svc.ns.svc',
  dnsNames: names,
  ipAddresses: [],
  caLifetimeMs: 60 * DAY_MS,
  leafLifetimeMs: 9 * DAY_MS,
};
const input = (state: CertState | undefined, now: Date, extra: Partial<PlanInput> = {}): PlanInput => ({
  state,
  dnsNames: names,
  ipAddresses: [],
  now,
  nextCaTrusted: true,
  overlapMs: 60_000,
  ...extra,
});
const step = (p: Plan) => {
  if (p.action === 'keep') throw new Error(`expected an action, got keep: ${p.reason}`);
  return p;
};

const fresh = await execute({ action: 'issue', reason: 'test' }, undefined, options, start);
// For the rotation: a leaf renewed on day 40, so that only the CA is due, then the next CA published.
const current = await execute({ action: 'renew-leaf', reason: 'test' }, fresh, options, at(40));
const publishAt = at(40.5);
const published = await execute(step(plan(input(current, publishAt))), current, options, publishAt);

describe('plan', () => {
  it('issues when there is no Secret, or when the stored one is unusable, and says which', async () => {
    expect(plan(input(undefined, start))).toEqual({ action: 'issue', reason: 'none yet' });
    expect(plan(input(undefined, start, { problem: 'CA: ca.key does not match ca.crt' }))).toEqual({
      action: 'issue',
      reason: 'the stored one is unusable: CA: ca.key does not match ca.crt',
    });
  });

  it('keeps fresh certificates and comes back when the leaf is due (2/3 of 9 days)', async () => {
    const p = plan(input(fresh, at(1)));
    expect(p.action).toBe('keep');
    if (p.action !== 'keep') return;
    const leaf = parseCert(fresh.leaf.certPem);
    const due = leaf.notBefore.getTime() + ((leaf.notAfter.getTime() - leaf.notBefore.getTime()) * 2) / 3;
    expect(p.recheckAt.getTime()).toBe(due);
  });

  it('renews the leaf at 2/3 of its lifetime, with the same CA', async () => {
    const p = step(plan(input(fresh, at(6.1))));
    expect(p.action).toBe('renew-leaf');
    expect(p.reason).toMatch(/^the serving certificate: 67% of its lifetime passed at /);
    const next = await execute(p, fresh, options, at(6.1));
    expect(next.ca).toEqual(fresh.ca);
    expect(next.generation).toBe(fresh.generation);
    expect(signedBy(next.leaf.certPem, fresh.ca.certPem)).toBe(true);
    expect(parseCert(next.leaf.certPem).notAfter.getTime()).toBe(at(15.1).getTime());
  });

  it('renews the leaf when it lacks a name the Service now needs', async () => {
    const p = plan(input(fresh, at(1), { ipAddresses: ['127.0.0.1'] }));
    expect(p).toEqual({ action: 'renew-leaf', reason: 'the serving certificate lacks 127.0.0.1' });
  });

  it('renews a leaf that another CA signed', async () => {
    const other = await execute({ action: 'issue', reason: 'test' }, undefined, options, start);
    const mixed: CertState = { ...fresh, leaf: other.leaf };
    expect(plan(input(mixed, at(1)))).toEqual({
      action: 'renew-leaf',
      reason: 'the serving certificate is not signed by the CA',
    });
  });

  it('replaces everything once the CA itself expired', async () => {
    expect(plan(input(fresh, at(61)))).toEqual({
      action: 'issue',
      reason: 'the CA it expired at 2026-03-02T00:00:00.000Z',
    });
  });

  it('does not renew a leaf already cut off at the CA end again and again; it waits for the CA rotation', async () => {
    const capped = await execute({ action: 'renew-leaf', reason: 'test' }, fresh, options, at(55));
    expect(parseCert(capped.leaf.certPem).notAfter).toEqual(parseCert(fresh.ca.certPem).notAfter);
    // The CA is due (40 days), but the next CA is not trusted yet: the leaf is due too, yet kept.
    const rotating: CertState = { ...capped, nextCa: fresh.ca, nextCaPublishedAt: at(55) };
    const p = plan(input(rotating, at(59), { nextCaTrusted: false }));
    expect(p.action).toBe('keep');
  });

  describe('rotates the CA in three steps', () => {
    it('1. publishes a next CA in the bundle, beside the current one, signing nothing yet', async () => {
      // 2/3 of 60 days and the 5 minutes the CA is backdated by.
      expect(plan(input(current, publishAt))).toEqual({
        action: 'publish-next-ca',
        reason:
          'the CA: 67% of its lifetime passed at 2026-02-09T23:58:20.000Z (expires 2026-03-02T00:00:00.000Z)',
      });
      // A new CA of its own (its own key, a full lifetime from now), not a copy of the current one.
      const next = parseCert(published.nextCa?.certPem ?? '');
      expect(next.x509.ca).toBe(true);
      expect(next.fingerprint256).not.toBe(parseCert(fresh.ca.certPem).fingerprint256);
      expect(keyMatches(published.nextCa?.certPem ?? '', published.nextCa?.keyPem ?? '')).toBe(true);
      expect(keyMatches(published.nextCa?.certPem ?? '', fresh.ca.keyPem)).toBe(false);
      expect(next.notAfter.getTime() - publishAt.getTime()).toBe(60 * DAY_MS);
      expect(published.trusted).toHaveLength(2);
      expect(samePem(published.trusted[0] ?? '', fresh.ca.certPem)).toBe(true);
      expect(samePem(published.trusted[1] ?? '', published.nextCa?.certPem ?? '')).toBe(true);
      expect(published.leaf).toEqual(current.leaf);
      expect(published.generation).toBe(current.generation + 1);
    });

    it('2. notes when every webhook configuration first trusts it, and counts the overlap from then', async () => {
      expect(plan(input(published, at(40.6), { nextCaTrusted: false })).action).toBe('keep');
      // Trust is first seen 50 s after the publication (a slow key, a late caBundle patch).
      const seenAt = new Date(publishAt.getTime() + 50_000);
      const note = step(plan(input(published, seenAt)));
      expect(note).toEqual({
        action: 'note-next-ca-trusted',
        reason: 'every webhook configuration trusts the next CA; the overlap starts now',
      });
      const noted = await execute(note, published, options, seenAt);
      expect(noted.nextCaTrustedSince).toEqual(seenAt);
      expect(noted.generation).toBe(published.generation);
      // A minute after the publication but not after the trust: not yet.
      const early = plan(input(noted, new Date(publishAt.getTime() + 61_000)));
      expect(early.action).toBe('keep');
      if (early.action === 'keep') expect(early.recheckAt.getTime()).toBe(seenAt.getTime() + 60_000);
    });

    it('2. starts the overlap again when a webhook configuration lost the next CA', async () => {
      const seenAt = new Date(publishAt.getTime() + 1_000);
      const noted = await execute(step(plan(input(published, seenAt))), published, options, seenAt);
      const later = new Date(seenAt.getTime() + 120_000);
      const lost = step(plan(input(noted, later, { nextCaTrusted: false })));
      expect(lost).toEqual({
        action: 'note-next-ca-untrusted',
        reason: 'a webhook configuration no longer trusts the next CA',
      });
      const cleared = await execute(lost, noted, options, later);
      expect(cleared.nextCaTrustedSince).toBeUndefined();
      expect(cleared.nextCa).toEqual(noted.nextCa);
      // Back in the caBundle: noted afresh, so the full overlap passes again before it signs.
      expect(plan(input(cleared, later)).action).toBe('note-next-ca-trusted');
    });

    it('2. then promotes it: the new leaf is signed by the next CA, the bundle keeps both', async () => {
      const seenAt = new Date(publishAt.getTime() + 1_000);
      const noted = await execute(step(plan(input(published, seenAt))), published, options, seenAt);
      const when = new Date(seenAt.getTime() + 60_000);
      const p = step(plan(input(noted, when)));
      expect(p).toEqual({
        action: 'promote-next-ca',
        reason: `every webhook configuration has trusted the next CA since ${seenAt.toISOString()}`,
      });
      const promoted = await execute(p, noted, options, when);
      expect(promoted.ca).toEqual(published.nextCa);
      expect(promoted.nextCa).toBeUndefined();
      expect(promoted.nextCaTrustedSince).toBeUndefined();
      expect(signedBy(promoted.leaf.certPem, promoted.ca.certPem)).toBe(true);
      expect(promoted.trusted).toEqual(published.trusted);
      expect(promoted.generation).toBe(published.generation);
    });

    it('3. drops the old CA from the bundle once it expired, in a new generation', async () => {
      const promoted = await execute(
        { action: 'promote-next-ca', reason: 'test' },
        published,
        options,
        at(40.6),
      );
      const renewed = await execute({ action: 'renew-leaf', reason: 'test' }, promoted, options, at(59));
      const p = step(plan(input(renewed, at(60.5))));
      expect(p.action).toBe('prune-trusted');
      expect(p.reason).toBe('1 CA(s) in the trust bundle expired');
      const pruned = await execute(p, renewed, options, at(60.5));
      expect(pruned.trusted).toHaveLength(1);
      expect(samePem(pruned.trusted[0] ?? '', promoted.ca.certPem)).toBe(true);
      expect(pruned.generation).toBe(promoted.generation + 1);
    });
  });
});

describe('a simulated year with a 60-day CA and 9-day leaves', () => {
  it('always serves a valid leaf signed by a CA in the bundle, and never outliving it', {
    timeout: 120_000,
  }, async () => {
    let state: CertState | undefined;
    const actions: string[] = [];
    for (let day = 0; day <= 150; day += 0.5) {
      const now = at(day);
      for (let i = 0; i < 5; i++) {
        const p = plan(input(state, now));
        if (p.action === 'keep') break;
        actions.push(p.action);
        state = await execute(p, state, options, now);
      }
      if (!state) throw new Error('no state');
      const leaf = parseCert(state.leaf.certPem);
      const ca = parseCert(state.ca.certPem);
      expect(leaf.notBefore <= now && now < leaf.notAfter, `leaf valid on day ${day}`).toBe(true);
      expect(leaf.notAfter <= ca.notAfter).toBe(true);
      expect(state.trusted.some((pem) => signedBy(state?.leaf.certPem ?? '', pem))).toBe(true);
      expect(state.trusted.length).toBeLessThanOrEqual(2);
    }
    expect(actions[0]).toBe('issue');
    expect(actions.filter((a) => a === 'issue')).toHaveLength(1);
    expect(actions.filter((a) => a === 'promote-next-ca').length).toBe(3);
    expect(actions.filter((a) => a === 'renew-leaf').length).toBeGreaterThan(10);
  });
});
