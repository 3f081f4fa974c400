/**
 * The admission command's certificate flags, for node:util parseArgs, and the source they make.
 * `thurkube admission` spreads CERT_FLAG_OPTIONS into its own options and calls
 * `secretSourceFromFlags` when `--cert-secret` is given (otherwise it serves --tls-cert-file).
 */
import type { ParseArgsConfig } from 'node:util';
import { ThurkubeError } from '../shared/errors.js';
import type { KubeClient } from '../shared/kube/client.js';
import type { Logger } from '../shared/log.js';
import { SecretCertificateSource } from './secret-source.js';

export const CERT_FLAG_OPTIONS = {
  'cert-secret': { type: 'string' },
  'cert-namespace': { type: 'string' },
  'service-name': { type: 'string' },
  'webhook-configuration': { type: 'string' },
  /** More subject alternative names (IP or DNS), repeatable: 127.0.0.1 when webhooks call a URL. */
  'cert-extra-san': { type: 'string', multiple: true },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CERT_FLAGS_HELP = `Certificates (self-managed; instead of --tls-cert-file/--tls-key-file):
  --cert-secret NAME             Secret that holds the CA and the serving certificate (created if absent)
  --cert-namespace NS            namespace of that Secret and of the Service (the release namespace)
  --service-name NAME            the admission Service; its DNS names go into the certificate
  --webhook-configuration NAME   name of both webhook configurations whose caBundle is kept current
  --cert-extra-san HOST          one more IP or DNS name for the certificate (repeatable)`;

export interface CertFlags {
  secretName: string;
  namespace: string;
  serviceName: string;
  webhookConfigurationName?: string;
  extraHosts: string[];
}

/** The flags from parseArgs' `values`; undefined when --cert-secret is absent. Throws Invalid when one is missing. */
export function certFlagsFrom(values: Record<string, unknown>): CertFlags | undefined {
  const secretName = values['cert-secret'];
  if (secretName === undefined) return undefined;
  const namespace = values['cert-namespace'];
  const serviceName = values['service-name'];
  const missing = [
    typeof secretName === 'string' && secretName ? undefined : '--cert-secret',
    typeof namespace === 'string' && namespace ? undefined : '--cert-namespace',
    typeof serviceName === 'string' && serviceName ? undefined : '--service-name',
  ].filter((m) => m !== undefined);
  if (missing.length > 0) {
    throw new ThurkubeError(
      'Invalid',
      `--cert-secret also needs ${missing.join(' and ')} (a non-empty value)`,
    );
  }
  const webhook = values['webhook-configuration'];
  const extra = values['cert-extra-san'];
  return {
    secretName: secretName as string,
    namespace: namespace as string,
    serviceName: serviceName as string,
    webhookConfigurationName: typeof webhook === 'string' && webhook ? webhook : undefined,
    extraHosts: Array.isArray(extra)
      ? extra.filter((h): h is string => typeof h === 'string' && h !== '')
      : [],
  };
}

export function secretSourceFromFlags(
  flags: CertFlags,
  deps: { client: KubeClient; log?: Logger },
): SecretCertificateSource {
  return new SecretCertificateSource({ ...flags, client: deps.client, log: deps.log });
}
