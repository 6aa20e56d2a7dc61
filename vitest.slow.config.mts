import { defineConfig } from 'vitest/config';

// The slow tests (test/slow/): `npm run test:slow`, run by .ci/run after `npm test`.
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/projections-loaded.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
