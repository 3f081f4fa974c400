import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{shared,admission,controller,certs,scripts}/**/*.test.ts'],
        },
      },
    ],
  },
});
