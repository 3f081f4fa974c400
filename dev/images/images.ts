/**
 * Builds (or finds in the cache) every image the real node runs: pause, the Node base, the product
 * image from the repository's own Dockerfile (`--build-arg NODE_IMAGE` is the only difference from
 * `docker build .`), and the test agent runtime. `npm run images -- --help`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { budToArchive, buildah } from './buildah.js';
import { type CachedImage, cachedImage, contentKey } from './cache.js';
import { nodeBaseImage, nodeBaseKey } from './node-base.js';
import { pauseImage } from './pause.js';
import { IMAGES } from './versions.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TEST_AGENT_DIR = join(ROOT, 'dev', 'images', 'test-agent');

/** What the Dockerfile's build stage copies (and .dockerignore leaves in). */
const PRODUCT_INPUTS = [
  'Dockerfile',
  '.dockerignore',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'shared',
  'certs',
  'admission',
  'controller',
  'cmd',
  'plugin',
];

/** buildah resolves FROM in its own store: load the base from its archive if the store lost it. */
async function ensureInStore(image: CachedImage): Promise<void> {
  const present = await buildah(['images', '--quiet', '--noheading', image.ref], 'listing images').catch(
    () => '',
  );
  if (present) return;
  await buildah(['pull', '--quiet', `oci-archive:${image.archive}`], `loading ${image.ref}`);
}

export function productImage(base: CachedImage, log: (line: string) => void): Promise<CachedImage> {
  const key = contentKey([
    nodeBaseKey(),
    {
      root: ROOT,
      paths: PRODUCT_INPUTS,
      skip: (rel) => rel.endsWith('.test.ts') || rel.includes('__golden__'),
    },
  ]);
  return cachedImage(
    'thurkube',
    IMAGES.product,
    key,
    async (archive) => {
      await ensureInStore(base);
      await budToArchive({
        tag: IMAGES.product,
        file: join(ROOT, 'Dockerfile'),
        context: ROOT,
        archive,
        buildArgs: { NODE_IMAGE: IMAGES.node },
      });
    },
    log,
  );
}

export function testAgentImage(base: CachedImage, log: (line: string) => void): Promise<CachedImage> {
  const key = contentKey([nodeBaseKey(), { root: TEST_AGENT_DIR, paths: ['Containerfile', 'agent.mjs'] }]);
  return cachedImage(
    'thurkube-test-agent',
    IMAGES.testAgent,
    key,
    async (archive) => {
      await ensureInStore(base);
      await budToArchive({
        tag: IMAGES.testAgent,
        file: join(TEST_AGENT_DIR, 'Containerfile'),
        context: TEST_AGENT_DIR,
        archive,
        buildArgs: { NODE_IMAGE: IMAGES.node },
      });
    },
    log,
  );
}

export interface BuiltImages {
  pause: CachedImage;
  node: CachedImage;
  product: CachedImage;
  testAgent: CachedImage;
}

export async function ensureImages(log: (line: string) => void = () => {}): Promise<BuiltImages> {
  const pause = await pauseImage(log);
  const node = await nodeBaseImage(log);
  const product = await productImage(node, log);
  const testAgent = await testAgentImage(node, log);
  return { pause, node, product, testAgent };
}
