/**
 * A restore drill on real n8n 2.41.1 (community edition): a backup of one instance is drilled into a
 * second, marked once as a drill target and holding leftovers the drill wipes first. The built CLI
 * runs as a child process, as an operator runs it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicApi as api, cli } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';
import { seedRealN8n } from './harness/seed-real.js';

const MARKER = 'n8n-ark-drill-target';

let source: RealN8n;
let scratch: RealN8n;
let store: string;

// One after the other, each given time to migrate its database: on a loaded 2-core machine two
// first starts side by side can take minutes.
beforeAll(async () => {
  source = await startN8n('drill-source', { readinessTimeoutMs: 240_000 });
  scratch = await startN8n('drill-scratch', { readinessTimeoutMs: 240_000 });
  await seedRealN8n(source.url, source.apiKey, { rows: 300 });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-drill-'));
}, 600_000);

afterAll(async () => {
  await Promise.all([source?.stop(), scratch?.stop()]);
  if (store) await rm(store, { recursive: true, force: true });
});

describe('n8n-ark drill on real n8n', () => {
  it('refuses an unmarked scratch, then wipes the marked one, restores, compares and passes with its report beside the archive', async () => {
    const backup = await cli(
      [
        'backup',
        '--url',
        source.url,
        '--api-key-env',
        'SOURCE_KEY',
        '--store',
        store,
        '--instance',
        'prod',
        '--json',
      ],
      { SOURCE_KEY: source.apiKey },
    );
    expect(backup.code, backup.stderr).toBe(0);
    const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
    const leftover = await api<{ id: string }>(scratch, 'POST', '/workflows', {
      name: 'left from the last drill',
      nodes: [
        {
          name: 'Start',
          type: 'n8n-nodes-base.manualTrigger',
          typeVersion: 1,
          position: [0, 0],
          parameters: {},
        },
      ],
      connections: {},
      settings: { executionOrder: 'v1' },
    });
    await api(scratch, 'POST', '/tags', { name: 'leftover' });
    const drill = () =>
      cli(
        [
          'drill',
          '--archive',
          'newest',
          '--store',
          store,
          '--instance',
          'prod',
          '--url',
          scratch.url,
          '--api-key-env',
          'SCRATCH_KEY',
          '--wipe-scratch',
          '--json',
        ],
        { SCRATCH_KEY: scratch.apiKey },
      );

    const refused = await drill();
    await api(scratch, 'POST', '/tags', { name: MARKER });
    const run = await drill();

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not marked as a drill target');
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    const report = JSON.parse(run.stdout) as {
      verdict: string;
      archive: { location: string };
      wiped: Record<string, number>;
      kinds: { resource: string; inArchive: number; restored: number; failed: number }[];
      differences: { total: number };
      rtoEstimateMs: number;
      files: { html: string; json: string };
    };
    expect(report.verdict).toBe('pass');
    expect(report.archive.location).toBe(archive);
    expect(report.wiped).toMatchObject({ workflows: 1, tags: 1 });
    expect(report.kinds.find((k) => k.resource === 'workflows')).toMatchObject({
      inArchive: 5,
      restored: 5,
      failed: 0,
    });
    expect(report.kinds.find((k) => k.resource === 'dataTableRows')).toMatchObject({ restored: 300 });
    expect(report.differences.total).toBe(0);
    expect(report.rtoEstimateMs).toBeGreaterThan(0);
    expect((await stat(report.files.html)).size).toBeGreaterThan(1000);
    expect(JSON.parse(await readFile(report.files.json, 'utf8'))).toMatchObject({ verdict: 'pass' });
    const names = (
      await api<{ data: { id: string; name: string }[] }>(scratch, 'GET', '/workflows?limit=250')
    ).data;
    expect(names.map((w) => w.id)).not.toContain(leftover.id);
    const tags = (await api<{ data: { name: string }[] }>(scratch, 'GET', '/tags?limit=250')).data.map(
      (t) => t.name,
    );
    expect(tags).toContain(MARKER);
    expect(tags).not.toContain('leftover');
  });
});
