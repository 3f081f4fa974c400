import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['{shared,admission,controller,certs,scripts,test/cluster}/**/*.test.ts'],
        },
      },
      {
        // Suites that run against a real control plane (test/cluster); one cluster per run.
        test: {
          name: 'cluster',
          sequence: { groupOrder: 1 },
          include: ['test/{integration,e2e}/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
