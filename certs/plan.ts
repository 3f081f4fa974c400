/**
 * The next step for the stored certificates, decided without I/O. Every replica runs it on what it
 * just read; whichever writes first wins (the Secret's resourceVersion), the others read the
 * result and decide again, so they converge on one certificate.
 *
 * A CA rotation takes three steps, so that no peer ever sees a leaf it cannot verify:
 * 1. publish: a next CA joins the trust bundle (caBundle) beside the current one; nothing signed by it yet;
 * 2. promote: once every webhook configuration has trusted it for `overlapMs` (the API server's
 *    caches), it becomes the CA and signs a new leaf. The overlap counts from the moment a replica
 *    first read the next CA in every configuration, noted in the Secret: counted from the
 *    publication instead, a slow key generation or a late caBundle patch would eat into it;
 * 3. prune: the old CA leaves the bundle when it expires (so did every leaf it signed).
 */
import { parseCert, samePem, signedBy } from './inspect.js';
import { isValidAt, needsRenewal, RENEW_FRACTION, renewalTime } from './renewal.js';
import type { CertState } from './state.js';

export interface PlanInput {
  /** Undefined when there is no Secret yet. */
  state?: CertState;
  /** Why the Secret that exists cannot be used. */
  problem?: string;
  /** Names the leaf must carry: DNS names and IP addresses. */
  dnsNames: string[];
  ipAddresses: string[];
  now: Date;
  /** True when every existing webhook configuration has the next CA in its caBundle. */
  nextCaTrusted: boolean;
  overlapMs: number;
  fraction?: number;
}

export type Plan =
  | { action: 'issue'; reason: string }
  | { action: 'renew-leaf'; reason: string }
  | { action: 'publish-next-ca'; reason: string }
  | { action: 'note-next-ca-trusted'; reason: string }
  | { action: 'note-next-ca-untrusted'; reason: string }
  | { action: 'promote-next-ca'; reason: string }
  | { action: 'prune-trusted'; reason: string }
  | { action: 'keep'; reason: string; recheckAt: Date };

export function plan(input: PlanInput): Plan {
  const { state, now } = input;
  const fraction = input.fraction ?? RENEW_FRACTION;
  if (!state) {
    return {
      action: 'issue',
      reason: input.problem ? `the stored one is unusable: ${input.problem}` : 'none yet',
    };
  }
  const ca = parseCert(state.ca.certPem);
  if (!isValidAt(ca, now)) return { action: 'issue', reason: `the CA ${needsRenewal(ca, now).reason}` };

  if (state.nextCa) {
    const since = state.nextCaTrustedSince;
    if (input.nextCaTrusted && !since) {
      return {
        action: 'note-next-ca-trusted',
        reason: 'every webhook configuration trusts the next CA; the overlap starts now',
      };
    }
    if (!input.nextCaTrusted && since) {
      // Someone replaced a caBundle (by hand, say): the overlap starts again once it is back.
      return {
        action: 'note-next-ca-untrusted',
        reason: 'a webhook configuration no longer trusts the next CA',
      };
    }
    if (input.nextCaTrusted && since && now.getTime() >= since.getTime() + input.overlapMs) {
      return {
        action: 'promote-next-ca',
        reason: `every webhook configuration has trusted the next CA since ${since.toISOString()}`,
      };
    }
  } else {
    const caRenewal = needsRenewal(ca, now, fraction);
    if (caRenewal.renew) return { action: 'publish-next-ca', reason: `the CA: ${caRenewal.reason}` };
  }

  const leafProblem = leafNeedsRenewal(state, input, ca.notAfter, fraction);
  if (leafProblem) return { action: 'renew-leaf', reason: leafProblem };

  const expired = state.trusted.filter((pem) => parseCert(pem).notAfter <= now);
  if (expired.length > 0) {
    return { action: 'prune-trusted', reason: `${expired.length} CA(s) in the trust bundle expired` };
  }
  return {
    action: 'keep',
    reason: 'all certificates are fresh',
    recheckAt: recheckAt(state, input, fraction),
  };
}

/** Why the leaf must be replaced (signed by the current CA), or undefined. */
function leafNeedsRenewal(
  state: CertState,
  input: PlanInput,
  caNotAfter: Date,
  fraction: number,
): string | undefined {
  const leaf = parseCert(state.leaf.certPem);
  if (!signedBy(state.leaf.certPem, state.ca.certPem))
    return 'the serving certificate is not signed by the CA';
  const missing = [
    ...input.dnsNames.filter((n) => !leaf.dnsNames.includes(n)),
    ...input.ipAddresses.filter((ip) => !leaf.ipAddresses.includes(ip)),
  ];
  if (missing.length > 0) return `the serving certificate lacks ${missing.join(', ')}`;
  const due = needsRenewal(leaf, input.now, fraction);
  if (!due.renew) return undefined;
  // A leaf already cut off at the CA's end would be cut off there again: renewing it gains
  // nothing and would repeat ever faster. Only a new CA (the rotation above) helps.
  if (leaf.notAfter >= caNotAfter && isValidAt(leaf, input.now)) return undefined;
  return `the serving certificate: ${due.reason}`;
}

/** When something is next due: a leaf or CA renewal, a promotion, or an expiry in the bundle. */
function recheckAt(state: CertState, input: PlanInput, fraction: number): Date {
  const leaf = parseCert(state.leaf.certPem);
  const ca = parseCert(state.ca.certPem);
  const moments = [leaf.notAfter.getTime(), ca.notAfter.getTime()];
  const leafDue = renewalTime(leaf, fraction).getTime();
  if (leafDue > input.now.getTime()) moments.push(leafDue);
  // A next CA not yet trusted everywhere is looked at again by the poll and the Secret's watch.
  if (state.nextCaTrustedSince) moments.push(state.nextCaTrustedSince.getTime() + input.overlapMs);
  else if (!state.nextCa) moments.push(renewalTime(ca, fraction).getTime());
  for (const pem of state.trusted) moments.push(parseCert(pem).notAfter.getTime());
  const future = moments.filter((m) => m > input.now.getTime());
  return new Date(future.length > 0 ? Math.min(...future) : input.now.getTime() + 86_400_000);
}

/** The trust bundle with `pems` added (once each) and expired CAs dropped. */
export function trustedWith(trusted: string[], pems: string[], now: Date): string[] {
  const out: string[] = [];
  for (const pem of [...trusted, ...pems]) {
    if (parseCert(pem).notAfter <= now) continue;
    if (!out.some((p) => samePem(p, pem))) out.push(pem);
  }
  return out;
}
