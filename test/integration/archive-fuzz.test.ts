/**
 * The archive is judged whole before the first write (docs/RESTORE.md), fuzzed: a real zip archive
 * of a seeded API double, mutated a thousand ways (support/archive-mutants.ts), each mutant restored
 * through the real core into an API double over HTTP that counts write requests, and verified the
 * way `n8n-ark verify` and the verify Lambda do. A mutant is either refused with exit code 4 and no
 * write, or restored into a target equal to what it holds; anything else is a failure.
 * ARCHIVE_FUZZ_SEED=<n> draws other mutants; a failure message names the seed, index and mutation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { createN8nClient, type N8nClient } from '../../functions/adapters/n8n/index.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { openArchive } from '../../functions/core/archive/format.js';
import { verifyArchive } from '../../functions/core/archive/verify.js';
import { runBackup } from '../../functions/core/backup/run.js';
import {
  archiveSnapshot,
  diffInstances,
  formatDifferences,
  liveSnapshot,
} from '../../functions/core/diff/index.js';
import {
  ArchiveIntegrityError,
  ArkError,
  UnsupportedArchiveFormatError,
} from '../../functions/core/errors.js';
import type { ArchiveBlob, ArchiveStore } from '../../functions/core/ports.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { runRestore } from '../../functions/core/restore/run.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { InMemoryLedgerStore } from '../unit/support/in-memory-ledger-store.js';
import {
  type BaseArchive,
  MUTATION_KINDS,
  type Mutant,
  mutant,
  unzipEntries,
  zipEntries,
} from './support/archive-mutants.js';
import { freshTargetFor } from './support/targets.js';

const SEED = Number(process.env.ARCHIVE_FUZZ_SEED ?? 20_260_101);
const MUTANTS = 1_020;
const clock = { now: () => new Date() };

type Verdict = 'refused' | 'restored equal' | 'other';
interface Outcome {
  index: number;
  kind: string;
  verdict: Verdict;
  why: string;
}

function blobOf(bytes: Buffer): ArchiveBlob {
  return {
    size: bytes.length,
    readRange: (start, end) => Readable.from([bytes.subarray(start, end)]),
    close: async () => {},
  };
}

/** What `n8n-ark verify` opens: one archive held in memory. */
function storeOf(bytes: Buffer): ArchiveStore {
  return {
    description: 'one mutant in memory',
    put: () => Promise.reject(new Error('read-only')),
    list: () => ({
      [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
    }),
    open: async () => blobOf(bytes),
  };
}

function client(double: N8nDouble): N8nClient {
  return createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, timeoutMs: 5_000, retries: 0 });
}

let dir: string;
let source: N8nDouble;
let target: N8nDouble;
let base: BaseArchive;

const freshTarget = () => freshTargetFor(source, 9);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-fuzz-'));
  source = await startN8nDouble({ licensed: 'all', idSeed: 5 });
  seedInstance(source.state, { workflows: 15, rowsTotal: 200, tables: 2, seed: 4 });
  const store = new FolderArchiveStore(dir);
  const { archive } = await runBackup(
    {
      api: client(source),
      store,
      createWriter: createZipArchiveWriter,
      clock,
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'archive-fuzz',
    },
    { instance: 'source' },
  );
  const zip = await readFile(archive.location);
  base = { zip, entries: await unzipEntries(zip) };
  target = await freshTarget();
});
afterAll(async () => {
  await target?.close();
  await source?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Restores one mutant into the shared target and verifies it; a target that was written to is replaced. */
async function judge(index: number, made: Mutant): Promise<Outcome> {
  const bytes = made.bytes ?? (await zipEntries(made.entries ?? []));
  const outcome = (verdict: Verdict, why: string): Outcome => ({ index, kind: made.kind, verdict, why });
  const writesBefore = target.writeCount();
  let restored: { complete: boolean } | undefined;
  let refusal: unknown;
  try {
    const reader = await openZipArchive(blobOf(bytes));
    try {
      const archive = await openArchive(reader);
      const run = await runRestore({
        archive,
        api: client(target),
        ledgerStore: new InMemoryLedgerStore(),
        clock,
        logger: silentLogger,
        progress: silentProgress,
      });
      restored = run.report;
    } finally {
      await reader.close();
    }
  } catch (error) {
    refusal = error;
  }
  const writes = target.writeCount() - writesBefore;
  const verified = await verifyArchive(storeOf(bytes), 'mutant', openZipArchive).catch(
    (error: unknown) => error,
  );
  const verifyOk =
    typeof verified === 'object' && verified !== null && 'ok' in verified && verified.ok === true;
  if (typeof verified !== 'object' || verified === null || !('ok' in verified))
    return outcome('other', `verify threw ${explain(verified)}`);

  if (refusal !== undefined) {
    if (!(refusal instanceof ArchiveIntegrityError || refusal instanceof UnsupportedArchiveFormatError))
      return outcome('other', `restore threw ${explain(refusal)}`);
    if (refusal.exitCode !== 4) return outcome('other', `exit code ${refusal.exitCode}: ${refusal.message}`);
    if (writes > 0) return outcome('other', `${writes} write(s) before the refusal: ${refusal.message}`);
    if (verifyOk) return outcome('other', `verify says ok, the restore refused: ${refusal.message}`);
    return outcome('refused', refusal.message);
  }
  // The restore went through: the target must now be what the archive says.
  const written = target;
  target = await freshTarget();
  try {
    if (!restored?.complete) return outcome('other', 'the restore ended incomplete');
    const reader = await openZipArchive(blobOf(bytes));
    try {
      const diff = await diffInstances(
        archiveSnapshot(await openArchive(reader), 'mutant'),
        liveSnapshot(client(written)),
        { ignoreUsers: true },
      ).catch((error: unknown) => explain(error));
      if (typeof diff === 'string') return outcome('other', `restored, the diff threw ${diff}`);
      if (!diff.equal)
        return outcome(
          'other',
          `restored, target differs: ${formatDifferences(diff).slice(0, 3).join(' | ')}`,
        );
    } finally {
      await reader.close();
    }
    if (!verifyOk) return outcome('other', 'restored, but verify says not ok');
    return outcome('restored equal', `${writes} write(s)`);
  } finally {
    await written.close();
  }
}

function explain(error: unknown): string {
  if (error instanceof ArkError) return `${error.name}: ${error.message}`;
  return error instanceof Error
    ? `${error.name} (not an ArkError): ${error.message}\n${error.stack}`
    : String(error);
}

describe.each([SEED])('archive fuzz, seed %i', (seed) => {
  it(`refuses every damaged mutant of ${MUTANTS} before its first write, or restores it equal`, async () => {
    // Prepare
    const outcomes: Outcome[] = [];
    const byKind = new Map<string, Record<Verdict, number>>();
    const started = performance.now();

    // Act
    for (let index = 0; index < MUTANTS; index += 1) {
      const made = await mutant(base, seed, index);
      const result = await judge(index, made);
      outcomes.push({ ...result, why: `${made.detail} → ${result.why}` });
      const counts = byKind.get(made.kind) ?? { refused: 0, 'restored equal': 0, other: 0 };
      counts[result.verdict] += 1;
      byKind.set(made.kind, counts);
    }

    // Assess
    const count = (verdict: Verdict) => outcomes.filter((o) => o.verdict === verdict).length;
    console.log(
      `archive fuzz: ${outcomes.length} mutants, ${count('refused')} refused before any write, ${count('restored equal')} restored equal, ${count('other')} other (seed ${seed}, ${Math.round(performance.now() - started)} ms)`,
    );
    for (const kind of MUTATION_KINDS) console.log(`  ${kind}: ${JSON.stringify(byKind.get(kind))}`);
    const others = outcomes
      .filter((o) => o.verdict === 'other')
      .map((o) => `seed ${seed} mutant ${o.index} (${o.kind}): ${o.why}`);
    expect(others.slice(0, 20).join('\n\n')).toBe('');
    expect(count('refused')).toBeGreaterThan(MUTANTS * 0.7);
  }, 300_000);
});
