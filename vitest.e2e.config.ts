import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests against real n8n (npm run e2e:setup installs it): one file at a time, long
 * timeouts. Each file runs on n8n's default SQLite; the contract suite, the backup/restore round
 * trip and the fault suite run again on PostgreSQL, as production n8n runs (the harness reads
 * N8N_ARK_E2E_DATABASE; a file may also ask for one database itself, as the busy-instance test does).
 * What runs after a restore (webhooks, a rebuilt target, a failing publish) runs on PostgreSQL only.
 */
const ON_BOTH = [
  'test/e2e/contract-real.e2e.test.ts',
  'test/e2e/backup-restore.e2e.test.ts',
  'test/e2e/faults.e2e.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/e2e/**/*.e2e.test.ts'],
          exclude: ['test/e2e/busy-instance.e2e.test.ts', 'test/e2e/what-runs.e2e.test.ts'],
          env: { N8N_ARK_E2E_DATABASE: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...ON_BOTH, 'test/e2e/busy-instance.e2e.test.ts', 'test/e2e/what-runs.e2e.test.ts'],
          env: { N8N_ARK_E2E_DATABASE: 'postgres' },
        },
      },
    ],
  },
});
