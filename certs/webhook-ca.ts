/**
 * Puts the trust bundle into the caBundle of every webhook in both webhook configurations, and
 * tells whether they trust a given CA. Each patch carries the configuration's resourceVersion and
 * records the bundle's generation (and the Secret's uid) in an annotation: a replica that read an
 * older Secret never replaces a newer bundle, which could drop a CA already signing leaves.
 */
import { isKind } from '../shared/errors.js';
import type { KubeClient, KubeObject } from '../shared/kube/client.js';
import { RESOURCES, type ResourceType } from '../shared/kube/resources.js';
import { samePem, splitPems } from './inspect.js';
import { ANNOTATION_GENERATION } from './state.js';

/** Both configurations carry the same name; their webhooks all get the same caBundle. */
export const WEBHOOK_CONFIGURATION_TYPES = [
  RESOURCES.mutatingWebhookConfigurations,
  RESOURCES.validatingWebhookConfigurations,
];

interface WebhookConfiguration extends KubeObject {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/** Where the bundle comes from: a Secret (uid) at a generation. */
export interface BundleVersion {
  uid: string;
  generation: number;
}

const encodeVersion = (v: BundleVersion) => `${v.uid}/${v.generation}`;

function decodeVersion(value: string | undefined): BundleVersion | undefined {
  const match = /^(.+)\/(\d+)$/.exec(value ?? '');
  return match?.[1] && match[2] ? { uid: match[1], generation: Number(match[2]) } : undefined;
}

async function read(client: KubeClient, type: ResourceType, name: string) {
  try {
    return await client.get<WebhookConfiguration>(type, { name });
  } catch (error) {
    if (isKind(error, 'NotFound')) return undefined;
    throw error;
  }
}

const bundleOf = (webhook: { clientConfig?: { caBundle?: string } }) =>
  Buffer.from(webhook.clientConfig?.caBundle ?? '', 'base64').toString('utf8');

export type InjectOutcome = 'patched' | 'unchanged' | 'newer' | 'missing';

/**
 * Sets the caBundle of all webhooks of the configuration `name` (both kinds). Returns what
 * happened per kind; a Conflict (someone wrote in between) is thrown and retried by the caller.
 */
export async function injectCaBundle(
  client: KubeClient,
  name: string,
  bundlePem: string,
  version: BundleVersion,
): Promise<Record<string, InjectOutcome>> {
  const caBundle = Buffer.from(bundlePem, 'utf8').toString('base64');
  const outcome: Record<string, InjectOutcome> = {};
  for (const type of WEBHOOK_CONFIGURATION_TYPES) {
    const live = await read(client, type, name);
    if (!live) {
      outcome[type.kind] = 'missing';
      continue;
    }
    const recorded = decodeVersion(live.metadata?.annotations?.[ANNOTATION_GENERATION]);
    if (recorded && recorded.uid === version.uid && recorded.generation > version.generation) {
      outcome[type.kind] = 'newer';
      continue;
    }
    const webhooks = live.webhooks ?? [];
    const current =
      recorded?.uid === version.uid &&
      recorded.generation === version.generation &&
      webhooks.every((w) => w.clientConfig?.caBundle === caBundle);
    if (current) {
      outcome[type.kind] = 'unchanged';
      continue;
    }
    // Strategic merge: webhooks merge by name, so only caBundle changes, and every webhook gets it.
    await client.patch(
      type,
      { name },
      {
        metadata: {
          resourceVersion: live.metadata?.resourceVersion,
          annotations: { [ANNOTATION_GENERATION]: encodeVersion(version) },
        },
        webhooks: webhooks.map((w) => ({ name: w.name, clientConfig: { caBundle } })),
      },
      'application/strategic-merge-patch+json',
    );
    outcome[type.kind] = 'patched';
  }
  return outcome;
}

/** True when every webhook of every existing configuration `name` trusts `caPem`. */
export async function webhooksTrust(client: KubeClient, name: string, caPem: string): Promise<boolean> {
  for (const type of WEBHOOK_CONFIGURATION_TYPES) {
    const live = await read(client, type, name);
    if (!live) continue;
    const trusts = (live.webhooks ?? []).every((w) =>
      splitPems(bundleOf(w)).some((pem) => samePem(pem, caPem)),
    );
    if (!trusts) return false;
  }
  return true;
}
