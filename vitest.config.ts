import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['{shared,admission,controller,certs,cmd,dev,scripts,plugin}/**/*.test.ts'],
        },
      },
      {
        // Suites that run against a real control plane (dev/cluster); one cluster per run.
        test: {
          name: 'cluster',
          sequence: { groupOrder: 1 },
          include: ['test/{integration,e2e}/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
      {
        // Suites that need pods to really run: their own cluster with a real node (kubelet,
        // containerd, runc) and the images built by dev/images. One file at a time.
        test: {
          name: 'node',
          sequence: { groupOrder: 2 },
          include: ['test/node/**/*.test.ts'],
          globalSetup: ['test/support/node-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 900_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
