/**
 * A backup is complete or says which kinds it lacks and why, through the CLI on the API double: a
 * kind the key may not read fails it (exit 6, nothing published) naming the scope n8n wants, unless
 * the operator excluded it; what the instance is not licensed for stays skipped; doctor says it first;
 * verify, inspect and restore read an archive with excluded kinds.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../functions/core/archive/format.js';
import { ALL_SCOPES } from '../double/scopes.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let store: string;
const NO_CREDENTIALS_KEY = 'no-credentials';

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 6, rowsTotal: 30 });
  source.addApiKey(
    NO_CREDENTIALS_KEY,
    ALL_SCOPES.filter((s) => s !== 'credential:list'),
  );
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-coverage-'));
});
afterEach(async () => {
  await source.close();
  await rm(store, { recursive: true, force: true });
});

const files = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.zip'));

describe('a backup through a key that may not list credentials', () => {
  it('exits 6 naming credentials and credential:list, publishing nothing', async () => {
    const run = await runCapturedCli(backupArgs(source.url, store), { SOURCE_KEY: NO_CREDENTIALS_KEY });

    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(
      /no archive was published: the API key may not read credentials \(n8n wants credential:list\)\..*--exclude credentials/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await files(store)).toEqual([]);
  });

  it('with --exclude credentials exits 0, the manifest says who excluded them, and verify, inspect and a dry-run restore read it', async () => {
    // Act
    const run = await runCapturedCli(backupArgs(source.url, store, '--json', '--exclude', 'credentials'), {
      SOURCE_KEY: NO_CREDENTIALS_KEY,
      USER: 'ana',
    });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      archive: string;
      counts: Manifest['counts'];
      skipped: Manifest['skipped'];
      excluded: Manifest['excluded'];
    };
    expect(out.excluded).toEqual([
      { resource: 'credentials', askedBy: 'n8n-ark backup --exclude, run by ana' },
    ]);
    expect(out.skipped).toEqual([]);
    expect(out.counts.credentials).toBeUndefined();
    expect(out.counts.workflows).toBe(6);

    expect((await runCapturedCli(['verify', out.archive], {})).code).toBe(0);
    const inspect = await runCapturedCli(['inspect', out.archive], {});
    expect(inspect.stdout).toContain('excluded: credentials — asked by n8n-ark backup --exclude, run by ana');
    const target = await startN8nDouble({ licensed: 'all' });
    try {
      const plan = await runCapturedCli(restoreArgs(out.archive, target.url, '--dry-run'), {
        TARGET_KEY: target.apiKey,
      });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(
        'The archive has no credentials: they were excluded from the backup on purpose (asked by n8n-ark backup --exclude, run by ana).',
      );
      expect(target.writeCount()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('doctor says the backup would not be complete, the scope it misses and what --exclude would leave out', async () => {
    const run = await runCapturedCli(['doctor', '--url', source.url, '--api-key-env', 'SOURCE_KEY'], {
      SOURCE_KEY: NO_CREDENTIALS_KEY,
    });

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'Complete backup: no — missing scopes credential:list; a backup fails (exit 6) until the key has them, or leaves credentials out on purpose with --exclude credentials',
    );
  });
});

describe('a backup of an instance not licensed for a kind', () => {
  it('exits 0 with the kind skipped and the licence named; doctor calls it complete', async () => {
    source.setLicensed(['feat:projectRole:admin', 'feat:folders']);

    const run = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
    const doctor = await runCapturedCli(['doctor', '--url', source.url, '--api-key-env', 'SOURCE_KEY'], {
      SOURCE_KEY: source.apiKey,
    });

    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { skipped: Manifest['skipped'] }).skipped).toContainEqual(
      expect.objectContaining({ resource: 'variables', feature: 'feat:variables' }),
    );
    expect(doctor.stdout).toMatch(/Complete backup: yes \(not licensed, skipped: variables\)/);
  });

  it('refuses an --exclude naming workflows or an unknown kind before reading anything (exit 2)', async () => {
    const before = source.requests.length;
    const workflows = await runCapturedCli(backupArgs(source.url, store, '--exclude', 'workflows'), {
      SOURCE_KEY: source.apiKey,
    });
    const unknown = await runCapturedCli(backupArgs(source.url, store, '--exclude', 'credential'), {
      SOURCE_KEY: source.apiKey,
    });

    expect(workflows.code).toBe(2);
    expect(workflows.stderr).toMatch(
      /--exclude must list only users, .*\(workflows cannot be left out\); "workflows" is none of them/,
    );
    expect(unknown.code).toBe(2);
    expect(source.requests.length).toBe(before);
  });
});
