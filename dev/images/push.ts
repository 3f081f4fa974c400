/**
 * Pushing a built image to a registry with `buildah push`: the cached archive is loaded into
 * buildah's store and pushed by its image ID (content-addressed, so what is pushed is exactly the
 * archive, whatever names other checkouts gave images in the shared store since).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../cluster/lock.js';
import { buildah } from './buildah.js';
import { type CachedImage, imagesDir } from './cache.js';

export interface PushedImage {
  /** `HOST/REPO:TAG` as pushed. */
  reference: string;
  /** The manifest digest the registry stores (`sha256:...`). */
  digest: string;
}

/**
 * Pushes `image` (an archive of dev/images) to `destination` (`HOST[:PORT]/REPO:TAG`), verifying
 * the registry's certificate with `caFile` when given (else the system's trust).
 */
export async function pushImage(o: {
  /** The cache name of the image (its lock), e.g. `thurkube`. */
  name: string;
  image: CachedImage;
  destination: string;
  caFile?: string;
  log?: (line: string) => void;
}): Promise<PushedImage> {
  const log = o.log ?? (() => {});
  // Loading re-tags the archive's name in the shared store: done under the lock its builds hold,
  // so a build in another checkout never archives this image under its own key.
  const release = await acquireLock(join(imagesDir(), `.${o.name}.lock`), log);
  let id: string;
  try {
    const out = await buildah(
      ['pull', '--quiet', `oci-archive:${o.image.archive}`],
      `loading ${o.image.ref}`,
    );
    id = out.split('\n').pop() ?? '';
  } finally {
    release();
  }
  const work = mkdtempSync(join(tmpdir(), 'thurkube-push-'));
  try {
    const digestFile = join(work, 'digest');
    const certArgs: string[] = [];
    if (o.caFile) {
      // buildah reads a directory of CA files (*.crt), as /etc/containers/certs.d/HOST/ holds.
      const certDir = join(work, 'certs');
      mkdirSync(certDir);
      copyFileSync(o.caFile, join(certDir, 'ca.crt'));
      certArgs.push('--cert-dir', certDir);
    }
    await buildah(
      ['push', '--quiet', ...certArgs, '--digestfile', digestFile, id, `docker://${o.destination}`],
      `pushing ${o.image.ref} to ${o.destination}`,
    );
    return { reference: o.destination, digest: readFileSync(digestFile, 'utf8').trim() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
