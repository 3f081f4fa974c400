/**
 * The key that signs cluster-access authorizations (shared/authorization.ts), held in one Secret
 * in thurkube's own namespace and read by both services at start-up. Whichever starts first
 * creates it with 32 random bytes; the other gets 409 AlreadyExists and reads the winner's, so
 * both always hold the same key. Its value is never logged.
 */
import { randomBytes } from 'node:crypto';
import { isKind, messageOf, ThurkubeError } from '../errors.js';
import type { KubeClient, KubeObject } from './client.js';
import { RESOURCES } from './resources.js';

export const ACCESS_KEY_SECRET = 'thurkube-access-key';
export const ACCESS_KEY_FIELD = 'key';
const MIN_KEY_BYTES = 32;

export interface AccessKeyRef {
  namespace: string;
  name: string;
}

/** Where both services look when not told otherwise (processes outside a cluster, tests). */
export const DEFAULT_ACCESS_KEY: AccessKeyRef = { namespace: 'default', name: ACCESS_KEY_SECRET };

type Secret = KubeObject & { data?: Record<string, string> };

function keyOf(secret: Secret, ref: AccessKeyRef): Buffer {
  const key = Buffer.from(secret.data?.[ACCESS_KEY_FIELD] ?? '', 'base64');
  if (key.length < MIN_KEY_BYTES)
    throw new ThurkubeError(
      'Invalid',
      `Secret ${ref.namespace}/${ref.name} holds no usable signing key (key "${ACCESS_KEY_FIELD}", at least ${MIN_KEY_BYTES} bytes); delete it and restart both thurkube services to make a new one`,
    );
  return key;
}

/** Reads the key, creating its Secret when there is none. */
export async function loadAccessKey(client: KubeClient, ref: AccessKeyRef): Promise<Buffer> {
  const read = () => client.get<Secret>(RESOURCES.secrets, ref);
  try {
    return keyOf(await read(), ref);
  } catch (error) {
    if (!isKind(error, 'NotFound')) throw explain(ref, error);
  }
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { 'app.kubernetes.io/part-of': 'thurkube', 'app.kubernetes.io/component': 'access-key' },
    },
    type: 'Opaque',
    data: { [ACCESS_KEY_FIELD]: randomBytes(MIN_KEY_BYTES).toString('base64') },
  };
  try {
    return keyOf(await client.create(RESOURCES.secrets, secret), ref);
  } catch (error) {
    if (!(error instanceof ThurkubeError && error.reason === 'AlreadyExists')) throw explain(ref, error);
    return keyOf(await read(), ref);
  }
}

function explain(ref: AccessKeyRef, error: unknown): ThurkubeError {
  if (error instanceof ThurkubeError && error.kind === 'Invalid') return error;
  const kind = error instanceof ThurkubeError ? error.kind : 'Transient';
  return new ThurkubeError(
    kind,
    `could not read or create the signing key Secret ${ref.namespace}/${ref.name}: ${messageOf(error)}`,
    { cause: error },
  );
}
