/**
 * When a certificate must be replaced, and why: pure, so that every rule is a unit test and the
 * reason can be logged as is. Renewal happens at 2/3 of the lifetime, as cert-manager does: the
 * last third leaves room for retries, for the other replicas to pick the new certificate up, and
 * for the API server to see a new CA before anything is signed with it.
 */

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export interface RenewalDecision {
  renew: boolean;
  reason: string;
}

/** Fraction of the lifetime after which a certificate is renewed. */
export const RENEW_FRACTION = 2 / 3;

/** The moment at which `fraction` of the certificate's lifetime has passed. */
export function renewalTime(cert: Validity, fraction = RENEW_FRACTION): Date {
  const from = cert.notBefore.getTime();
  return new Date(from + (cert.notAfter.getTime() - from) * fraction);
}

export function needsRenewal(cert: Validity, now: Date, fraction = RENEW_FRACTION): RenewalDecision {
  if (cert.notAfter.getTime() <= cert.notBefore.getTime()) {
    return { renew: true, reason: `its validity is empty (notAfter ${iso(cert.notAfter)} ≤ notBefore)` };
  }
  if (now < cert.notBefore) {
    // Issued certificates are backdated by minutes, so this means a clock far off or a bad one.
    return { renew: true, reason: `it is not valid before ${iso(cert.notBefore)}` };
  }
  if (now >= cert.notAfter) return { renew: true, reason: `it expired at ${iso(cert.notAfter)}` };
  const due = renewalTime(cert, fraction);
  const share = `${Math.round(fraction * 100)}%`;
  if (now >= due) {
    return {
      renew: true,
      reason: `${share} of its lifetime passed at ${iso(due)} (expires ${iso(cert.notAfter)})`,
    };
  }
  return { renew: false, reason: `valid until ${iso(cert.notAfter)}, renewal due at ${iso(due)}` };
}

/** True while `now` lies inside the validity window. */
export function isValidAt(cert: Validity, now: Date): boolean {
  return cert.notBefore <= now && now < cert.notAfter;
}

const iso = (d: Date) => d.toISOString();
