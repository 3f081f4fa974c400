import { describe, expect, it } from 'vitest';
import { isValidAt, needsRenewal, renewalTime } from './renewal.js';

const t = (iso: string) => new Date(iso);
/** Thirty days from midnight: 2/3 is day 20. */
const cert = { notBefore: t('2026-01-01T00:00:00Z'), notAfter: t('2026-01-31T00:00:00Z') };

describe('needsRenewal', () => {
  it('keeps a certificate in the first two thirds of its life and says when renewal is due', () => {
    const decision = needsRenewal(cert, t('2026-01-20T23:59:59Z'));
    expect(decision).toEqual({
      renew: false,
      reason: 'valid until 2026-01-31T00:00:00.000Z, renewal due at 2026-01-21T00:00:00.000Z',
    });
  });

  it('renews from exactly two thirds of the lifetime on', () => {
    expect(needsRenewal(cert, t('2026-01-21T00:00:00Z'))).toEqual({
      renew: true,
      reason: '67% of its lifetime passed at 2026-01-21T00:00:00.000Z (expires 2026-01-31T00:00:00.000Z)',
    });
  });

  it('renews an expired certificate and says since when', () => {
    expect(needsRenewal(cert, t('2026-02-01T00:00:00Z'))).toEqual({
      renew: true,
      reason: 'it expired at 2026-01-31T00:00:00.000Z',
    });
    // notAfter itself is already outside the window.
    expect(needsRenewal(cert, cert.notAfter).reason).toBe('it expired at 2026-01-31T00:00:00.000Z');
  });

  it('renews a certificate that is not valid yet (a clock far off, or a bad certificate)', () => {
    expect(needsRenewal(cert, t('2025-12-31T00:00:00Z'))).toEqual({
      renew: true,
      reason: 'it is not valid before 2026-01-01T00:00:00.000Z',
    });
  });

  it('renews a certificate whose window is empty', () => {
    const empty = { notBefore: cert.notAfter, notAfter: cert.notBefore };
    expect(needsRenewal(empty, t('2026-01-10T00:00:00Z')).renew).toBe(true);
  });

  it('honours another fraction', () => {
    expect(needsRenewal(cert, t('2026-01-16T00:00:00Z'), 0.5).renew).toBe(true);
    expect(needsRenewal(cert, t('2026-01-15T23:59:59Z'), 0.5).renew).toBe(false);
  });
});

describe('renewalTime and isValidAt', () => {
  it('puts the renewal at notBefore + 2/3 of the lifetime', () => {
    expect(renewalTime(cert).toISOString()).toBe('2026-01-21T00:00:00.000Z');
  });

  it('treats notBefore as inside and notAfter as outside the window', () => {
    expect(isValidAt(cert, cert.notBefore)).toBe(true);
    expect(isValidAt(cert, new Date(cert.notAfter.getTime() - 1))).toBe(true);
    expect(isValidAt(cert, cert.notAfter)).toBe(false);
    expect(isValidAt(cert, new Date(cert.notBefore.getTime() - 1))).toBe(false);
  });
});
