import { defineConfig } from 'vitest/config';

/** The drill report rendered in Debian's headless Chromium (`chromium` on PATH): npm run test:browser. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
