/**
 * A restore into an n8n whose payload limit refuses some of the archive (N8N_PAYLOAD_SIZE_MAX), over
 * HTTP to the API double, which reads bodies as n8n 2.41.1 does: the dry run names what is past
 * the limit; the restore writes everything else and exits 6 naming it; raised, the same command
 * restores the rest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

const MiB = 1024 * 1024;
let source: N8nDouble;
let store: string;
const targets: N8nDouble[] = [];

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all', idSeed: 31 });
  seedInstance(source.state, { workflows: 12, rowsTotal: 40, tables: 2, seed: 3 });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-body-limit-'));
});

afterEach(async () => {
  await Promise.all([source.close(), ...targets.splice(0).map((t) => t.close())]);
  await rm(store, { recursive: true, force: true });
});

async function target(payloadSizeMaxMib: number): Promise<N8nDouble> {
  const made = await startN8nDouble({ licensed: 'all', idSeed: 32, payloadSizeMaxMib });
  for (const user of source.state.users.values())
    if (user.role !== 'global:owner') made.state.createUser({ ...user });
  targets.push(made);
  return made;
}

describe('a restore into a target whose payload limit some objects pass', () => {
  it('names them before writing, writes everything else, exits 6 naming them', async () => {
    // Prepare: one workflow with 3 MiB of pinned data; a target that reads 2 MiB at most
    const [big] = [...source.state.workflows.values()].filter((w) => !w.isArchived);
    if (!big) throw new Error('the seed made no workflow');
    source.state.updateWorkflow(big, {
      ...big,
      pinData: { Start: [{ json: { blob: 'x'.repeat(3 * MiB) } }] },
    });
    const backup = await runCapturedCli(backupArgs(source.url, store, '--json'), {
      SOURCE_KEY: source.apiKey,
    });
    expect(backup.code, backup.stderr).toBe(0);
    const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
    const small = await target(2);
    const env = { TARGET_KEY: small.apiKey };

    // Act
    const dry = await runCapturedCli(restoreArgs(archive, small.url, '--dry-run'), env);
    const run = await runCapturedCli(restoreArgs(archive, small.url), env);

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/reads request bodies of at most 2\.0 MiB .*: 1 record\(s\) are larger/);
    expect(dry.stdout).toMatch(
      new RegExp(
        `workflows +refused +${big.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +workflows\\.ndjson line`,
      ),
    );
    expect(run.code).toBe(6);
    expect(run.stdout + run.stderr).toContain(`workflows "${big.name}": not written: workflows.ndjson line`);
    const names = [...small.state.workflows.values()].map((w) => w.name);
    expect(names).not.toContain(big.name);
    expect(names).toHaveLength(source.state.workflows.size - 1);
  }, 60_000);
});
