/**
 * The archive's own consistency, judged before any write (docs/ARCHIVE-FORMAT.md, "What verify
 * judges"): a real archive of a seeded API double, mutated so that it stays well-formed — digests,
 * sizes and counts recomputed — but breaks one rule (support/consistency-mutants.ts, one or more
 * mutants per rule). Each mutant must be refused by `n8n-ark verify` with exit 4, naming the entry
 * (and the line, for a rule about one record) and without a stack trace, and by `n8n-ark restore`
 * with exit 4 before its first write. CONSISTENCY_SEED=<n> draws other records to mutate.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type BaseArchive, unzipEntries, zipEntries } from './support/archive-mutants.js';
import { CONSISTENCY_RULES, consistencyMutants } from './support/consistency-mutants.js';
import { restoreArgs, runCapturedCli } from './support/run-cli.js';
import { freshTargetFor } from './support/targets.js';

const SEED = Number(process.env.CONSISTENCY_SEED ?? 20_261_128);

let dir: string;
let source: N8nDouble;
let target: N8nDouble;
let base: BaseArchive;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-consistency-'));
  source = await startN8nDouble({ licensed: 'all', idSeed: 3 });
  seedInstance(source.state, { workflows: 24, rowsTotal: 60, tables: 2, seed: 6 });
  const { archive } = await runBackup(
    {
      api: createN8nClient({ baseUrl: source.url, apiKey: source.apiKey, retries: 0 }),
      store: new FolderArchiveStore(dir),
      createWriter: createZipArchiveWriter,
      clock: { now: () => new Date() },
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'consistency',
    },
    { instance: 'source' },
  );
  const zip = await readFile(archive.location);
  const entries = await unzipEntries(zip);
  base = { zip, entries };
  target = await freshTargetFor(source, 8);
}, 60_000);

afterAll(async () => {
  await target?.close();
  await source?.close();
  await rm(dir, { recursive: true, force: true });
});

describe(`the archive's consistency, seed ${SEED}`, () => {
  it('the base archive passes verify, and a restore of it would not be refused', async () => {
    const path = join(dir, 'base.zip');
    await writeFile(path, await zipEntries(base.entries));
    const run = await runCapturedCli(['verify', path], {});
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it('has at least one mutant for every rule', () => {
    const rules = new Set(consistencyMutants(base, SEED).map((m) => m.rule));
    expect([...rules].sort()).toEqual(Object.keys(CONSISTENCY_RULES).sort());
  });

  it('refuses every mutant in verify (exit 4, entry and line named, no stack trace) and in restore before any write', async () => {
    // Prepare
    const mutants = consistencyMutants(base, SEED);
    const failures: string[] = [];

    for (const [index, mutant] of mutants.entries()) {
      const path = join(dir, `mutant-${index}.zip`);
      await writeFile(path, await zipEntries(mutant.entries));
      const about = `seed ${SEED}, ${mutant.rule} #${index} (${mutant.detail})`;

      // Act
      const verify = await runCapturedCli(['verify', path], {});
      const writesBefore = target.writeCount();
      const restore = await runCapturedCli(restoreArgs(path, target.url), { TARGET_KEY: target.apiKey });
      const writes = target.writeCount() - writesBefore;

      // Assess
      const firstProblem = verify.stdout.split('\n')[1] ?? '';
      const named = new RegExp(
        `^  ${mutant.entry.replaceAll('.', '\\.')}: ${mutant.line ? `(line \\d+|.* line \\d+)` : ''}`,
      );
      const output = verify.stdout + verify.stderr + restore.stdout + restore.stderr;
      if (verify.code !== 4) failures.push(`${about}: verify exited ${verify.code}: ${output.slice(0, 300)}`);
      else if (!named.test(firstProblem))
        failures.push(`${about}: verify's first problem is ${firstProblem}`);
      if (/unexpected failure|\n\s+at /.test(output))
        failures.push(`${about}: a stack trace: ${output.slice(0, 600)}`);
      if (restore.code !== 4)
        failures.push(`${about}: restore exited ${restore.code}: ${restore.stderr.slice(0, 300)}`);
      if (writes > 0) failures.push(`${about}: restore wrote ${writes} time(s) before refusing`);
      await rm(path);
    }

    expect(failures.join('\n')).toBe('');
    expect(mutants.length).toBeGreaterThanOrEqual(Object.keys(CONSISTENCY_RULES).length);
  }, 240_000);
});
