import { defineConfig } from 'vitest/config';

/** End-to-end tests against real n8n (npm run e2e:setup installs it): one file at a time, long timeouts. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
