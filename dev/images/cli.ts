/** `npm run images`: builds (or finds in the cache) the images the real node runs. */
import { parseArgs } from 'node:util';
import { ensureImages } from './images.js';

const USAGE = `Usage: npm run images [-- --help]

Builds, without a Docker engine or a registry, into ~/.cache/thurkube/images/ (OCI archives):
  localhost/thurkube-pause:dev         the pod sandbox (dev/cluster/go/pause)
  localhost/node:24-bookworm-slim      Debian bookworm (debootstrap) + Node and npm from the npm registry
  localhost/thurkube:dev               the repository's Dockerfile, --build-arg NODE_IMAGE=localhost/node:24-bookworm-slim
  localhost/thurkube-test-agent:dev    the test agent runtime (dev/images/test-agent)
Each is rebuilt only when what goes into it changed. Needs root, buildah and debootstrap
(apt-get install -y buildah debootstrap); builds use buildah's --isolation chroot.

Environment: THURKUBE_CACHE_DIR (default ~/.cache/thurkube).`;

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(USAGE);
} else {
  const log = (line: string) => process.stderr.write(`[images] ${line}\n`);
  try {
    const images = await ensureImages(log);
    for (const image of Object.values(images))
      console.log(`${image.ref.padEnd(36)} ${image.archive}${image.built ? '' : ' (cached)'}`);
  } catch (error) {
    console.error(`[images] ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
