/**
 * One restore per target (core/restore/target-lock.ts): two restores of one archive into one target
 * at once, each with its own --ledger (in different folders), over real HTTP to the API double. The
 * second is refused while the first writes; the first completes; the target then holds each
 * object once, equal to the archive. Without the target's lock the two would each create what the
 * other creates (issue 28 measured 53 workflows twice).
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';
import { freshTargetFor } from './support/targets.js';

let source: N8nDouble;
let target: N8nDouble;
let store: string;

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all', idSeed: 21 });
  seedInstance(source.state, { workflows: 40, rowsTotal: 100, tables: 2, seed: 9 });
  target = await freshTargetFor(source, 22);
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-target-lock-'));
});

afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(store, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('one restore per target', () => {
  it('refuses a second restore into a target while another writes, with another ledger elsewhere: nothing twice', async () => {
    // Prepare: one archive; two ledgers in two folders; a target slow enough to be caught writing
    const backup = await runCapturedCli(backupArgs(source.url, store, '--json'), {
      SOURCE_KEY: source.apiKey,
    });
    expect(backup.code, backup.stderr).toBe(0);
    const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
    await mkdir(join(store, 'one'));
    await mkdir(join(store, 'two'));
    target.faults.latencyMs = 15;
    const env = { TARGET_KEY: target.apiKey };

    // Act
    const first = runCapturedCli(
      restoreArgs(archive, target.url, '--ledger', join(store, 'one', 'l.json')),
      env,
    );
    await waitFor(() => target.writeCount() > 0, 'the first restore to write');
    const second = await runCapturedCli(
      restoreArgs(archive, target.url, '--ledger', join(store, 'two', 'l.json')),
      env,
    );
    const firstDone = await first;
    target.faults.latencyMs = 0;
    const diff = await runCapturedCli(
      ['diff', archive, '--url', target.url, '--api-key-env', 'TARGET_KEY', '--ignore-users'],
      env,
    );

    // Assess
    expect(second.code).toBe(6);
    expect(second.stderr).toMatch(
      /^error: another restore into http:\/\/127\.0\.0\.1:\d+ is running \(pid \d+ on host /,
    );
    expect(second.stderr).toContain('this one wrote nothing');
    expect(await readdir(join(store, 'two'))).toEqual([]);
    expect(firstDone.code, firstDone.stderr).toBe(0);
    const names = [...target.state.workflows.values()].map((w) => w.name);
    expect(names).toHaveLength(new Set(names).size);
    expect(names).toHaveLength(source.state.workflows.size);
    expect(diff.code, diff.stdout).toBe(0);
  }, 120_000);

  it('lets the next restore into the target run once the first has ended, and a dry run at any time', async () => {
    const backup = await runCapturedCli(backupArgs(source.url, store, '--json'), {
      SOURCE_KEY: source.apiKey,
    });
    const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
    const env = { TARGET_KEY: target.apiKey };

    const first = await runCapturedCli(
      restoreArgs(archive, target.url, '--ledger', join(store, 'a.json')),
      env,
    );
    const dry = await runCapturedCli(
      restoreArgs(archive, target.url, '--ledger', join(store, 'b.json'), '--dry-run'),
      env,
    );
    const again = await runCapturedCli(
      restoreArgs(archive, target.url, '--ledger', join(store, 'c.json')),
      env,
    );

    expect([first.code, dry.code, again.code], again.stderr).toEqual([0, 0, 0]);
    const names = [...target.state.workflows.values()].map((w) => w.name);
    expect(names).toHaveLength(new Set(names).size);
  }, 120_000);
});
