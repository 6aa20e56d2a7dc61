import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/slow/ runs with `npm run test:slow` (vitest.slow.config.mts), in .ci/run.
    exclude: [...configDefaults.exclude, 'test/slow/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/projections-loaded.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
