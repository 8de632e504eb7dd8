/**
 * `npm run bench:real`: n8n-ark against REAL n8n 2.41.1 (install with `npm run e2e:setup`), at each
 * size (default 500 and 2,000 workflows, each with one data table of 20,000 rows), with every peer
 * measured in the same run beside what it is compared with:
 *  - backup, full (`--full` when the CLI has it) and again after 1 % of the workflows changed
 *    (incremental once the CLI backs up incrementally), against the listing floor: every list page
 *    the backup needs, same concurrency, no per-workflow GET (scripts/bench-floor.ts --only listing);
 *    and the full backup also against the full-read floor: the listing floor plus the reads n8n's
 *    API forces on a full backup (one GET per workflow for its description, its history list, and
 *    a GET of each saved version the listing does not carry; scripts/bench-floor.ts);
 *  - the per-workflow GET floor (one GET per workflow at concurrency 8, nothing else);
 *  - n8n's own package export of the workflows (≤ 300 ids per call);
 *  - restore of the full backup into an empty n8n, against the best write path: the faster of raw
 *    creates (POST /workflows at the restore's concurrency, into the empty source while seeding)
 *    and n8n's package import (≤ 300 workflows per call, content included, into a third empty
 *    n8n), plus the rows inserted at the restore's batch size, plus the table's create;
 *  - the sliced backup (scripts/bench-sliced.ts; `--no-sliced` skips it): right after the first
 *    run's full backup, the same n8n backed up as the backup state machine runs it, the backup
 *    Lambda's bundle as deployed, each slice a process believing it has `--slice-seconds` (default
 *    60), into a versioned bucket on moto, slice after slice until the archive is published: its
 *    slices, its total ÷ that full backup's, the largest slice's peak RSS.
 * The built CLI runs as users run it (its own duration; peak RSS from /proc). Writes
 * bench/real-n8n.json, or `--out` (a size measured again replaces its earlier figures, the others
 * stay), and the README's real-n8n tables (`--no-readme` leaves the README as it is).
 *
 * The production size (issue 25): `--preset production`, that is `--database postgres --sizes 10000
 * --rows 1000000 --tables 5 --versioned-share 0.333 --seed import` (a flag given beside it wins:
 * `--preset production --sizes 500 --rows 50000` is the same shape, smaller). n8n runs on
 * PostgreSQL; a third of the workflows get 10 saved versions (the same ids imported again with new
 * content, `workflowConflictPolicy=new-version`); the rows are spread over 5 tables; the workflows
 * are seeded through n8n's package import (its time shown as a peer; raw creates are not timed, so
 * the best write path is the package import into a fresh n8n).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { workflowPackage } from '../functions/adapters/n8n/package-format.js';
import type { PackagedWorkflow } from '../functions/core/ports.js';
import { DEFAULT_ROW_BATCH } from '../functions/core/restore/apply.js';
import { type N8nDatabase, type RealN8n, startN8n } from '../test/e2e/harness/n8n-instance.js';
import { backupRun, cli, cliPath, measure, median, round, tsx } from './bench-process.js';
import { sliceBackup } from './bench-sliced.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '500,2000' },
    rows: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '1' },
    // Restores (each into a fresh empty n8n, beside n8n's import into another): one import of the
    // same 500 workflows varied 9.8–14.5 s between fresh instances, so the medians of three are compared.
    'restore-runs': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    readme: { type: 'boolean', default: true },
    // Renders the README's table from bench/real-n8n.json as it stands, measuring nothing.
    'render-only': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/real-n8n.json' },
    // n8n's database: sqlite (n8n's default) or postgres (as production runs it).
    database: { type: 'string', default: 'sqlite' },
    // The rows are spread over this many tables.
    tables: { type: 'string', default: '1' },
    // The share of workflows given VERSIONS saved versions (the others have one).
    'versioned-share': { type: 'string', default: '0' },
    versions: { type: 'string', default: '10' },
    // How the workflows are seeded: `post` (raw creates, timed as a peer) or `import` (n8n's package import).
    seed: { type: 'string', default: 'post' },
    // `production`: issue 25's size on Postgres n8n (the flags below it set; any flag given wins).
    preset: { type: 'string' },
    // The sliced backup (scripts/bench-sliced.ts) right after the first run's full backup;
    // --no-sliced skips it.
    sliced: { type: 'boolean', default: true },
    'slice-seconds': { type: 'string', default: '60' },
  },
  allowNegative: true,
});
/** Issue 25's production size: 10,000 workflows (a third with 10 saved versions), 1,000,000 rows in 5 tables. */
const PRESETS: Record<string, Partial<typeof values>> = {
  production: {
    database: 'postgres',
    sizes: '10000',
    rows: '1000000',
    tables: '5',
    'versioned-share': String(1 / 3),
    versions: '10',
    seed: 'import',
  },
};
if (values.preset !== undefined) {
  const preset = PRESETS[values.preset];
  if (!preset) throw new Error(`--preset ${Object.keys(PRESETS).join('|')}, not ${values.preset}`);
  const given = new Set(process.argv.flatMap((a) => (a.startsWith('--') ? [a.slice(2).split('=')[0]] : [])));
  for (const [key, value] of Object.entries(preset))
    if (!given.has(key)) (values as Record<string, unknown>)[key] = value;
}
const SIZES = values.sizes.split(',').filter(Boolean).map(Number);
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const RESTORE_RUNS = Number(values['restore-runs']);
const CONCURRENCY = Number(values.concurrency);
const DATABASE = values.database as N8nDatabase;
if (DATABASE !== 'sqlite' && DATABASE !== 'postgres')
  throw new Error(`--database sqlite|postgres, not ${DATABASE}`);
const TABLES = Number(values.tables);
const VERSIONED_SHARE = Number(values['versioned-share']);
const VERSIONS = Number(values.versions);
const SEED_BY_IMPORT = values.seed === 'import';
const SLICE_SECONDS = Number(values['slice-seconds']);
if (!(SLICE_SECONDS > 0))
  throw new Error(`--slice-seconds takes a number of seconds, not ${values['slice-seconds']}`);
/** Workflows a package carries at most (n8n takes up to 300 ids an export). */
const PACKAGE_SIZE = 300;
const root = join(import.meta.dirname, '..');
const log = (line: string) => process.stderr.write(`bench-real: ${line}\n`);

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function client(n8n: RealN8n) {
  return async (method: string, path: string, body?: unknown): Promise<Response> => {
    const form = body instanceof FormData;
    // n8n on SQLite answers 500 when its database times out on a loaded machine: tried again.
    for (let attempt = 1; ; attempt += 1) {
      const response = await fetch(`${n8n.url}/api/v1${path}`, {
        method,
        headers: { 'X-N8N-API-KEY': n8n.apiKey, ...(form ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: form ? body : JSON.stringify(body) }),
      });
      if (response.ok) return response;
      const text = await response.text();
      if (response.status < 500 || attempt >= 4)
        throw new Error(`${method} ${path} → ${response.status} ${text}`);
      log(`  ${method} ${path} → ${response.status}, trying again`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
}

function benchWorkflow(i: number, value: number = i) {
  return {
    name: `Bench workflow ${i}`,
    nodes: [
      {
        id: randomUUID(),
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: randomUUID(),
        name: 'Set',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [220, 0],
        parameters: {
          assignments: { assignments: [{ id: randomUUID(), name: 'n', value, type: 'number' }] },
          options: {},
        },
      },
    ],
    connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

/** Runs `work` over 0..count-1 with `concurrency` in flight. */
async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Workflows created into the empty source at the restore's concurrency: the raw-create peer. */
async function seedWorkflows(call: ReturnType<typeof client>, count: number) {
  const ids: string[] = new Array(count);
  const { ms } = await timed(() =>
    pool(count, CONCURRENCY, async (i) => {
      ids[i] = ((await (await call('POST', '/workflows', benchWorkflow(i))).json()) as { id: string }).id;
    }),
  );
  return { ids, rawCreatesMs: ms };
}

/** Package ids: 16 characters, as n8n's own. */
const benchId = (i: number) => `bench${String(i).padStart(11, '0')}`;

/** The workflows as n8n packages of PACKAGE_SIZE, their Set value `value(i)`. */
function packagesOf(indexes: readonly number[], value: (i: number) => number): Buffer[] {
  const packages: Buffer[] = [];
  for (let at = 0; at < indexes.length; at += PACKAGE_SIZE)
    packages.push(
      workflowPackage(
        indexes
          .slice(at, at + PACKAGE_SIZE)
          .map((i) => ({ id: benchId(i), ...benchWorkflow(i, value(i)) }) as unknown as PackagedWorkflow),
        new Date(),
      ),
    );
  return packages;
}

/** Workflows imported into the empty source through n8n's package import: the package-import peer. */
async function importWorkflows(call: ReturnType<typeof client>, count: number) {
  const indexes = Array.from({ length: count }, (_, i) => i);
  const { ms } = await timed(() =>
    importPackages(
      call,
      packagesOf(indexes, (i) => i),
      'fail',
    ),
  );
  return { ids: indexes.map(benchId), packageImportIntoSourceMs: ms };
}

/**
 * Saved versions for a share of the workflows: each further version is the same workflows imported
 * again with another Set value under the same ids (n8n saves a new version of each).
 */
async function saveVersions(call: ReturnType<typeof client>, ids: readonly string[]) {
  const versioned = Array.from({ length: Math.round(ids.length * VERSIONED_SHARE) }, (_, k) =>
    Math.floor((k * ids.length) / Math.max(1, Math.round(ids.length * VERSIONED_SHARE))),
  );
  if (versioned.length === 0 || VERSIONS < 2) return 0;
  const byId = new Map(ids.map((id, i) => [id, i]));
  const indexes = versioned.map((k) => byId.get(ids[k] as string) ?? k);
  const { ms } = await timed(async () => {
    for (let version = 2; version <= VERSIONS; version += 1)
      await importPackages(
        call,
        packagesOf(indexes, (i) => i + version * 1_000_000),
        'new-version',
      );
  });
  log(`  ${versioned.length} workflows given ${VERSIONS} saved versions in ${round(ms)} ms`);
  return versioned.length;
}

/** One table and its rows, inserted at the restore's batch size: the rows peer. */
async function seedRows(call: ReturnType<typeof client>, name: string, count: number) {
  const table = await timed(
    async () =>
      (await (
        await call('POST', '/data-tables', {
          name,
          columns: [
            { name: 'email', type: 'string' },
            { name: 'n', type: 'number' },
          ],
        })
      ).json()) as { id: string },
  );
  const rows = await timed(async () => {
    for (let i = 0; i < count; i += DEFAULT_ROW_BATCH) {
      await call('POST', `/data-tables/${table.value.id}/rows`, {
        data: Array.from({ length: Math.min(DEFAULT_ROW_BATCH, count - i) }, (_, j) => ({
          email: `row${i + j}@example.com`,
          n: i + j,
        })),
        returnType: 'count',
      });
    }
  });
  return { tableCreateMs: table.ms, rowsInsertMs: rows.ms };
}

async function exportPackages(call: ReturnType<typeof client>, ids: string[]) {
  const packages: ArrayBuffer[] = [];
  const { ms } = await timed(async () => {
    for (let i = 0; i < ids.length; i += 300)
      packages.push(
        await (
          await call('POST', '/n8n-packages/export', { workflowIds: ids.slice(i, i + 300) })
        ).arrayBuffer(),
      );
  });
  return { packages, packageExportMs: ms };
}

async function importPackages(
  call: ReturnType<typeof client>,
  packages: readonly (ArrayBuffer | Buffer)[],
  conflictPolicy: 'fail' | 'new-version' = 'fail',
) {
  const { ms } = await timed(async () => {
    for (const bytes of packages) {
      const form = new FormData();
      form.set('package', new Blob([new Uint8Array(bytes)]), 'bench.n8np');
      form.set('workflowConflictPolicy', conflictPolicy);
      form.set('workflowIdPolicy', 'source');
      await call('POST', '/n8n-packages/import', form);
    }
  });
  return ms;
}

/** Changes 1 % of the workflows (their Set value), as a day's edits would. */
async function changeOnePercent(call: ReturnType<typeof client>, ids: string[], round: number) {
  const count = Math.max(1, Math.round(ids.length / 100));
  for (let k = 0; k < count; k += 1) {
    const i = (k * 100 + round) % ids.length;
    await call('PUT', `/workflows/${ids[i]}`, benchWorkflow(i, 1_000_000 + round));
  }
}

async function floor(n8n: RealN8n, only: 'listing' | 'workflow-gets' | 'all') {
  const run = await measure(tsx, [join(root, 'scripts/bench-floor.ts'), '--url', n8n.url, '--only', only], {
    BENCH_API_KEY: n8n.apiKey,
  });
  return (JSON.parse(run.stdout) as { ms: number }).ms;
}

async function backup(n8n: RealN8n, store: string, full: boolean) {
  const run = await backupRun(n8n, store, 'bench', '--json', ...(full && backupHasFull ? ['--full'] : []));
  const out = JSON.parse(run.stdout) as { durationMs: number; bytes: number; archive: string };
  return { ms: out.durationMs, bytes: out.bytes, archive: out.archive, peakRssMb: run.peakRssMb };
}

async function restore(n8n: RealN8n, archive: string) {
  const run = await measure(
    cli,
    [
      'restore',
      archive,
      '--url',
      n8n.url,
      '--api-key-env',
      'BENCH_API_KEY',
      '--concurrency',
      String(CONCURRENCY),
      '--ledger',
      `${archive}.${randomUUID()}.bench-ledger.json`,
      '--json',
    ],
    { BENCH_API_KEY: n8n.apiKey, ...cliPath },
  );
  return { ms: (JSON.parse(run.stdout) as { durationMs: number }).durationMs, peakRssMb: run.peakRssMb };
}

async function helpOf(command: string): Promise<string> {
  return (await measure(cli, [command, '--help'], cliPath)).stdout;
}
const backupHasFull = values['render-only'] ? false : (await helpOf('backup')).includes('--full');

async function benchSize(workflows: number) {
  // The package-import peer gets its own empty instance: the restore's workflows carry the source
  // ids as their lineage, so n8n would refuse the same package into the restore's target.
  const source = await startN8n(`bench-source-${workflows}`, {
    readinessTimeoutMs: 600_000,
    database: DATABASE,
  });
  const store = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-real-'));
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const call = client(source);
    log(
      `${workflows} workflows: seeding ${workflows} workflows and ${ROWS} rows in ${TABLES} table(s) (n8n on ${source.databaseLabel})…`,
    );
    const seeded = SEED_BY_IMPORT
      ? { ...(await importWorkflows(call, workflows)), rawCreatesMs: Number.NaN }
      : { ...(await seedWorkflows(call, workflows)), packageImportIntoSourceMs: Number.NaN };
    const { ids, rawCreatesMs } = seeded;
    const versioned = await saveVersions(call, ids);
    let tableCreateMs = 0;
    let rowsInsertMs = 0;
    for (let t = 0; t < TABLES; t += 1) {
      const rows = Math.floor(ROWS / TABLES) + (t < ROWS % TABLES ? 1 : 0);
      const table = await seedRows(call, `bench ${t + 1}`, rows);
      tableCreateMs += table.tableCreateMs;
      rowsInsertMs += table.rowsInsertMs;
    }
    const { packages, packageExportMs } = await exportPackages(call, ids);

    const m = {
      listing: [] as number[],
      fullRead: [] as number[],
      full: [] as number[],
      incremental: [] as number[],
    };
    const rss = { full: [] as number[], incremental: [] as number[] };
    let fullArchive = '';
    let bytes = 0;
    let sliced: SlicedLine | undefined;
    for (let run = 0; run < RUNS; run += 1) {
      m.listing.push(await floor(source, 'listing'));
      m.fullRead.push(await floor(source, 'all'));
      const full = await backup(source, store, true);
      m.full.push(full.ms);
      rss.full.push(full.peakRssMb);
      fullArchive = full.archive;
      bytes = full.bytes;
      if (values.sliced && run === 0) sliced = await slicedBeside(source, full.ms);
      await changeOnePercent(call, ids, run);
      const incremental = await backup(source, store, false);
      m.incremental.push(incremental.ms);
      rss.incremental.push(incremental.peakRssMb);
      log(
        `  run ${run + 1}: listing floor ${round(m.listing.at(-1) ?? 0)} ms, full-read floor ${round(m.fullRead.at(-1) ?? 0)} ms, backup ${round(full.ms)} ms, after 1 % changed ${round(incremental.ms)} ms`,
      );
    }
    const workflowGetFloorMs = await floor(source, 'workflow-gets');

    const restores: { ms: number; peakRssMb: number }[] = [];
    const imports: number[] = [];
    for (let run = 0; run < RESTORE_RUNS; run += 1) {
      log(`  restore ${run + 1}: into an empty n8n, and n8n's package import into another…`);
      const { restored, packageImportMs } = await restoreBesideImport(workflows, run, fullArchive, packages);
      restores.push(restored);
      imports.push(packageImportMs);
      log(`  restore ${run + 1}: ${round(restored.ms)} ms, package import ${round(packageImportMs)} ms`);
    }
    const restored = {
      ms: median(restores.map((r) => r.ms)),
      peakRssMb: Math.max(...restores.map((r) => r.peakRssMb)),
    };
    const packageImportMs = median(imports);
    // A run seeded by import timed no raw creates: the best path is the import.
    const bestWorkflowsMs = Number.isNaN(rawCreatesMs)
      ? packageImportMs
      : Math.min(rawCreatesMs, packageImportMs);
    const bestWriteMs = bestWorkflowsMs + rowsInsertMs + tableCreateMs;
    const result = {
      measuredAt: new Date().toISOString(),
      workflows,
      rows: ROWS,
      tables: TABLES,
      versionedWorkflows: versioned,
      versions: VERSIONS,
      database: source.databaseLabel,
      backupMs: round(median(m.full)),
      incrementalBackupMs: round(median(m.incremental)),
      listingFloorMs: round(median(m.listing)),
      fullReadFloorMs: round(median(m.fullRead)),
      workflowGetFloorMs: round(workflowGetFloorMs),
      restoreMs: round(restored.ms),
      bestWriteMs: round(bestWriteMs),
      rawCreatesMs: Number.isNaN(rawCreatesMs) ? null : round(rawCreatesMs),
      packageImportIntoSourceMs: Number.isNaN(seeded.packageImportIntoSourceMs)
        ? null
        : round(seeded.packageImportIntoSourceMs),
      packageImportMs: round(packageImportMs),
      rowsInsertMs: round(rowsInsertMs),
      tableCreateMs: round(tableCreateMs),
      packageExportMs: round(packageExportMs),
      ...(sliced ? { slicedBackup: sliced } : {}),
      backupPeakRssMb: round(Math.max(...rss.full, ...rss.incremental)),
      restorePeakRssMb: round(restored.peakRssMb),
      archiveBytes: bytes,
      incrementalAvailable: backupHasFull,
      loadAverage: { atStart: round(loadBefore, 1), atEnd: round(loadavg()[0] ?? 0, 1) },
    };
    log(`  ${JSON.stringify(result)}`);
    return result;
  } finally {
    await source.stop();
    await rm(store, { recursive: true, force: true });
  }
}

/** The sliced backup's figures for a size, beside the CLI's full backup run just before it. */
interface SlicedLine {
  sliceSeconds: number;
  slices: number;
  slicedMs: number;
  /** The CLI's full backup of the same instance, run just before. */
  unslicedMs: number;
  /** slicedMs ÷ unslicedMs. */
  ratio: number;
  /** The largest of the slices' peak RSS. */
  peakRssMb: number;
}

/** The backup state machine's way (scripts/bench-sliced.ts) over the same n8n, paired with `unslicedMs`. */
async function slicedBeside(n8n: RealN8n, unslicedMs: number): Promise<SlicedLine> {
  log(`  sliced backup, slices of ${SLICE_SECONDS} s…`);
  const s = await sliceBackup(n8n, SLICE_SECONDS, log);
  const line = {
    sliceSeconds: s.sliceSeconds,
    slices: s.slices,
    slicedMs: round(s.slicedMs),
    unslicedMs: round(unslicedMs),
    ratio: round(s.slicedMs / unslicedMs, 2),
    peakRssMb: round(s.peakRssPerSliceMb),
  };
  log(
    `  sliced backup: ${line.slices} slice(s), ${line.slicedMs} ms, ${line.ratio} × the CLI's ${line.unslicedMs} ms`,
  );
  return line;
}

/**
 * One restore of the full backup into a fresh empty n8n, and n8n's package import of the same
 * workflows into another fresh one (into the restore's target n8n would refuse it: the restored
 * workflows carry the source ids as lineage). A fresh n8n answers its first Public API request
 * seconds late (docs/REAL-N8N-FINDINGS.md): each answers one request before it is timed.
 */
async function restoreBesideImport(workflows: number, run: number, archive: string, packages: ArrayBuffer[]) {
  const options = { readinessTimeoutMs: 600_000, database: DATABASE };
  const [target, peer] = await Promise.all([
    startN8n(`bench-target-${workflows}-${run}`, options),
    startN8n(`bench-peer-${workflows}-${run}`, options),
  ]);
  try {
    await client(target)('GET', '/workflows?limit=1');
    await client(peer)('GET', '/workflows?limit=1');
    const restored = await restore(target, archive);
    const packageImportMs = await importPackages(client(peer), packages);
    return { restored, packageImportMs };
  } finally {
    await Promise.all([target.stop(), peer.stop()]);
  }
}

/** Results written before the full-read floor, the database or the tables were recorded have none. */
type SizeResult = Omit<
  Awaited<ReturnType<typeof benchSize>>,
  | 'fullReadFloorMs'
  | 'database'
  | 'tables'
  | 'versionedWorkflows'
  | 'versions'
  | 'measuredAt'
  | 'packageImportIntoSourceMs'
  | 'slicedBackup'
> & {
  slicedBackup?: SlicedLine;
  fullReadFloorMs?: number;
  measuredAt?: string;
  packageImportIntoSourceMs?: number | null;
  database?: string;
  tables?: number;
  versionedWorkflows?: number;
  versions?: number;
};

/** `10,000 (3,400 with 10 versions) + 1,000,000 in 5 tables`: what a size held. */
function sizeLabel(r: SizeResult): string {
  const versioned = r.versionedWorkflows
    ? ` (${r.versionedWorkflows.toLocaleString('en')} with ${r.versions} versions)`
    : '';
  const tables = (r.tables ?? 1) > 1 ? ` in ${r.tables} tables` : '';
  return `${r.workflows.toLocaleString('en')}${versioned} + ${r.rows.toLocaleString('en')}${tables}`;
}
interface Output {
  n8n?: string;
  measuredAt: string;
  runs: number;
  /** Restores, each beside n8n's import into another fresh n8n (medians); absent before they were repeated. */
  restoreRuns?: number;
  concurrency: number;
  rowBatch: number;
  sizes: (SizeResult & { runs?: number; restoreRuns?: number })[];
}

/** A size is measured again under the same workflows, rows, tables and database: it replaces the earlier one. */
const sizeKey = (r: SizeResult) => `${r.workflows}/${r.rows}/${r.tables ?? 1}/${r.database ?? 'SQLite'}`;

/** The README's table from bench/real-n8n.json's content. */
function render(output: Output): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ratio = (a: number, b: number | undefined) => (b === undefined ? '–' : (a / b).toFixed(2));
  const results = output.sizes;
  const incremental = results.every((r) => r.incrementalAvailable);
  const name = (r: SizeResult) => `${r.workflows.toLocaleString('en')} workflows, ${r.database ?? 'SQLite'}`;
  const peer = (label: string, value: (r: SizeResult) => number | null | undefined) =>
    `| ${label} | ${results
      .map((r) => {
        const v = value(r);
        return v === null || v === undefined ? '–' : seconds(v);
      })
      .join(' | ')} |`;
  const runsOf = (r: Output['sizes'][number]) => {
    const runs = r.runs ?? output.runs;
    const restores = r.restoreRuns ?? output.restoreRuns ?? 1;
    return `${runs === 1 ? 'one run' : `median of ${runs} runs`}${restores > 1 ? `, restore and package import median of ${restores}` : ', one restore'}`;
  };
  const when = results
    .map(
      (r) =>
        `${name(r)}: ${(r.measuredAt ?? output.measuredAt).slice(0, 10)}, ${runsOf(r)}, load ${r.loadAverage.atStart}–${r.loadAverage.atEnd}`,
    )
    .join('; ');
  return [
    '| workflows + rows | n8n on | backup | listing floor | backup ÷ listing floor | full-read floor | backup ÷ full-read floor (≤ 1.3) | after 1 % changed | ÷ listing floor (≤ 1.2) | restore | best write path | restore ÷ best (≤ 1.25) | peak RSS backup / restore (≤ 200 MB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${sizeLabel(r)} | ${r.database ?? 'SQLite'} | ${seconds(r.backupMs)} | ${seconds(r.listingFloorMs)} | ${ratio(r.backupMs, r.listingFloorMs)} | ${r.fullReadFloorMs === undefined ? '–' : seconds(r.fullReadFloorMs)} | ${ratio(r.backupMs, r.fullReadFloorMs)} | ${seconds(r.incrementalBackupMs)} | ${ratio(r.incrementalBackupMs, r.listingFloorMs)} | ${seconds(r.restoreMs)} | ${seconds(r.bestWriteMs)} | ${ratio(r.restoreMs, r.bestWriteMs)} | ${r.backupPeakRssMb} / ${r.restorePeakRssMb} MB |`,
    ),
    '',
    `| peers, same run | ${results.map(name).join(' | ')} |`,
    `|---|${results.map(() => '---:').join('|')}|`,
    peer('one GET per workflow, concurrency 8 (per-workflow GET floor)', (r) => r.workflowGetFloorMs),
    peer("n8n's package export, ≤ 300 per call", (r) => r.packageExportMs),
    peer(
      `raw \`POST /workflows\`, concurrency ${output.concurrency}, into an empty n8n`,
      (r) => r.rawCreatesMs,
    ),
    peer("n8n's package import, ≤ 300 per call, content included", (r) => r.packageImportMs),
    peer("n8n's package import into the empty source (the seeding)", (r) => r.packageImportIntoSourceMs),
    peer(`the rows inserted ${output.rowBatch.toLocaleString('en')} per call`, (r) => r.rowsInsertMs),
    '',
    `Measured with \`npm run bench:real\` on 2 shared cores (1-minute load average at the start and end of each size): ${when}. Full-read floor: the listing floor plus what the API forces on a full backup (a GET per workflow, its history list, a GET per saved version the listing lacks). Best write path: the faster of raw creates and package import, plus the rows and the tables' creates. ${incremental ? 'The backup is run with `--full`; the second one reads incrementally.' : 'This CLI has no `--full`: the second backup is a full one too.'}`,
  ].join('\n');
}

/** The sliced backups' table (README, between bench:real-sliced markers) from the sizes that have one. */
function renderSliced(output: Output): string {
  const sizes = output.sizes.filter((r) => r.slicedBackup);
  if (sizes.length === 0)
    return 'No size has been measured with its sliced backup yet (`npm run bench:real` measures it unless `--no-sliced`).';
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    '| workflows + rows | n8n on | slices of | slices | sliced total | CLI full backup just before | sliced ÷ CLI | peak RSS per slice (≤ 512 MB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...sizes.map((r) => {
      const s = r.slicedBackup as SlicedLine;
      return `| ${sizeLabel(r)} | ${r.database ?? 'SQLite'} | ${s.sliceSeconds} s | ${s.slices} | ${seconds(s.slicedMs)} | ${seconds(s.unslicedMs)} | ${s.ratio.toFixed(2)} | ${s.peakRssMb} MB |`;
    }),
    '',
    "Same runs as the table above (dates and load there); the sliced backup runs right after the first run's full CLI backup of the same instance, into a versioned bucket on moto.",
  ].join('\n');
}

const jsonPath = resolve(root, values.out);
const earlier = await readFile(jsonPath, 'utf8').then(
  (text) => JSON.parse(text) as Output,
  () => undefined,
);
let output: Output;
if (values['render-only']) {
  if (!earlier) throw new Error(`${jsonPath} cannot be read: nothing to render`);
  output = earlier;
} else {
  // Sizes measured earlier stay (SQLite beside Postgres), each with its own date, runs and load;
  // a size measured again replaces its earlier figures.
  output = {
    n8n: '2.41.1 (community edition; each size says its database)',
    measuredAt: new Date().toISOString(),
    runs: RUNS,
    restoreRuns: RESTORE_RUNS,
    concurrency: CONCURRENCY,
    rowBatch: DEFAULT_ROW_BATCH,
    sizes: (earlier?.sizes ?? []).map((r) => ({
      ...r,
      measuredAt: r.measuredAt ?? earlier?.measuredAt,
      runs: r.runs ?? earlier?.runs,
      restoreRuns: r.restoreRuns ?? earlier?.restoreRuns,
    })),
  };
  const written = {
    ...output,
    targets: {
      backupOverFullReadFloor: 1.3,
      incrementalOverListingFloor: 1.2,
      restoreOverBestWrite: 1.25,
      peakRssMb: 200,
    },
  };
  // Written after each size, so a run stopped during a later size keeps the sizes it finished.
  for (const size of SIZES) {
    const result = { ...(await benchSize(size)), runs: RUNS, restoreRuns: RESTORE_RUNS };
    written.sizes = [...written.sizes.filter((r) => sizeKey(r) !== sizeKey(result)), result];
    output.sizes = written.sizes;
    await writeFile(jsonPath, `${JSON.stringify(written, null, 2)}\n`);
  }
}
const table = render(output);
const slicedTable = renderSliced(output);
process.stdout.write(`${table}\n\n${slicedTable}\n`);
if (values.readme) {
  const readmePath = join(root, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  await writeFile(
    readmePath,
    readme
      .replace(
        /<!-- bench:real:start -->[\s\S]*?<!-- bench:real:end -->/,
        `<!-- bench:real:start -->\n${table}\n<!-- bench:real:end -->`,
      )
      .replace(
        /<!-- bench:real-sliced:start -->[\s\S]*?<!-- bench:real-sliced:end -->/,
        `<!-- bench:real-sliced:start -->\n${slicedTable}\n<!-- bench:real-sliced:end -->`,
      ),
  );
}
