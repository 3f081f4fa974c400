/**
 * The pod sandbox image: our own ten-line Go program (dev/cluster/go/pause), static, in an image
 * of its own file alone. containerd's `sandbox_image` names it; it is never pulled.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAUSE_IMAGE } from '../cluster/node/constants.js';
import { buildah, pushArchive } from './buildah.js';
import { type CachedImage, cachedImage, contentKey } from './cache.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'cluster', 'go', 'pause');

export function pauseImage(log: (line: string) => void = () => {}): Promise<CachedImage> {
  const key = contentKey([{ root: SOURCE, paths: ['go.mod', 'main.go'] }]);
  return cachedImage(
    'pause',
    PAUSE_IMAGE,
    key,
    async (archive) => {
      const work = mkdtempSync(join(tmpdir(), 'thurkube-pause-'));
      try {
        execFileSync('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(work, 'pause'), '.'], {
          cwd: SOURCE,
          env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const container = await buildah(['from', '--quiet', 'scratch'], 'a scratch container');
        try {
          await buildah(['copy', '--quiet', container, join(work, 'pause'), '/pause'], 'copying pause');
          await buildah(
            ['config', '--entrypoint', '["/pause"]', '--user', '65535:65535', container],
            'configuring pause',
          );
          await buildah(['commit', '--quiet', '--rm', container, PAUSE_IMAGE], 'committing pause');
        } catch (error) {
          await buildah(['rm', container], 'removing the build container').catch(() => undefined);
          throw error;
        }
        await pushArchive(PAUSE_IMAGE, archive);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    log,
  );
}
