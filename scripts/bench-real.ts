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
 *    n8n), plus the rows inserted
 *    at the restore's batch size, plus the table's create.
 * The built CLI runs as users run it (its own duration; peak RSS from /proc). Writes
 * bench/real-n8n.json and the README's "real n8n" table.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ROW_BATCH } from '../functions/core/restore/apply.js';
import { type RealN8n, startN8n } from '../test/e2e/harness/n8n-instance.js';

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
  },
  allowNegative: true,
});
const SIZES = values.sizes.split(',').filter(Boolean).map(Number);
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const RESTORE_RUNS = Number(values['restore-runs']);
const CONCURRENCY = Number(values.concurrency);
const root = join(import.meta.dirname, '..');
const tsx = join(root, 'node_modules/.bin/tsx');
const cli = join(root, 'dist/bin/n8n-ark.js');
/** The CLI's shebang runs `env node`: make that the Node running the bench, as `npm run`/`npx` do. */
const cliPath = { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
const log = (line: string) => process.stderr.write(`bench-real: ${line}\n`);

async function measure(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  let peakKb = 0;
  const timer = setInterval(async () => {
    try {
      const hwm = /VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // exited
    }
  }, 25);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${args.slice(0, 2).join(' ')} exited ${code}: ${stdout.slice(0, 500)}`);
  return { stdout, peakRssMb: peakKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round = (x: number, digits = 0) => Number(x.toFixed(digits));

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

/** One table and its rows, inserted at the restore's batch size: the rows peer. */
async function seedRows(call: ReturnType<typeof client>, name: string) {
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
    for (let i = 0; i < ROWS; i += DEFAULT_ROW_BATCH) {
      await call('POST', `/data-tables/${table.value.id}/rows`, {
        data: Array.from({ length: Math.min(DEFAULT_ROW_BATCH, ROWS - i) }, (_, j) => ({
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

async function importPackages(call: ReturnType<typeof client>, packages: ArrayBuffer[]) {
  const { ms } = await timed(async () => {
    for (const bytes of packages) {
      const form = new FormData();
      form.set('package', new Blob([bytes]), 'bench.n8np');
      form.set('workflowConflictPolicy', 'fail');
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
  const run = await measure(
    cli,
    [
      'backup',
      '--url',
      n8n.url,
      '--api-key-env',
      'BENCH_API_KEY',
      '--store',
      store,
      '--json',
      ...(full && backupHasFull ? ['--full'] : []),
    ],
    { BENCH_API_KEY: n8n.apiKey, ...cliPath },
  );
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
  const source = await startN8n(`bench-source-${workflows}`, { readinessTimeoutMs: 600_000 });
  const store = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-real-'));
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const call = client(source);
    log(`${workflows} workflows: seeding ${workflows} workflows and ${ROWS} rows…`);
    const { ids, rawCreatesMs } = await seedWorkflows(call, workflows);
    const { tableCreateMs, rowsInsertMs } = await seedRows(call, 'bench');
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
    for (let run = 0; run < RUNS; run += 1) {
      m.listing.push(await floor(source, 'listing'));
      m.fullRead.push(await floor(source, 'all'));
      const full = await backup(source, store, true);
      m.full.push(full.ms);
      rss.full.push(full.peakRssMb);
      fullArchive = full.archive;
      bytes = full.bytes;
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
    const bestWorkflowsMs = Math.min(rawCreatesMs, packageImportMs);
    const bestWriteMs = bestWorkflowsMs + rowsInsertMs + tableCreateMs;
    const result = {
      workflows,
      rows: ROWS,
      backupMs: round(median(m.full)),
      incrementalBackupMs: round(median(m.incremental)),
      listingFloorMs: round(median(m.listing)),
      fullReadFloorMs: round(median(m.fullRead)),
      workflowGetFloorMs: round(workflowGetFloorMs),
      restoreMs: round(restored.ms),
      bestWriteMs: round(bestWriteMs),
      rawCreatesMs: round(rawCreatesMs),
      packageImportMs: round(packageImportMs),
      rowsInsertMs: round(rowsInsertMs),
      tableCreateMs: round(tableCreateMs),
      packageExportMs: round(packageExportMs),
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

/**
 * One restore of the full backup into a fresh empty n8n, and n8n's package import of the same
 * workflows into another fresh one (into the restore's target n8n would refuse it: the restored
 * workflows carry the source ids as lineage). A fresh n8n answers its first Public API request
 * seconds late (docs/REAL-N8N-FINDINGS.md): each answers one request before it is timed.
 */
async function restoreBesideImport(workflows: number, run: number, archive: string, packages: ArrayBuffer[]) {
  const [target, peer] = await Promise.all([
    startN8n(`bench-target-${workflows}-${run}`, { readinessTimeoutMs: 600_000 }),
    startN8n(`bench-peer-${workflows}-${run}`, { readinessTimeoutMs: 600_000 }),
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

/** Results written before the full-read floor was measured have none. */
type SizeResult = Omit<Awaited<ReturnType<typeof benchSize>>, 'fullReadFloorMs'> & {
  fullReadFloorMs?: number;
};
interface Output {
  measuredAt: string;
  runs: number;
  /** Restores, each beside n8n's import into another fresh n8n (medians); absent before they were repeated. */
  restoreRuns?: number;
  concurrency: number;
  rowBatch: number;
  sizes: SizeResult[];
}

/** The README's table from bench/real-n8n.json's content. */
function render(output: Output): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ratio = (a: number, b: number | undefined) => (b === undefined ? '–' : (a / b).toFixed(2));
  const results = output.sizes;
  const rows = results[0]?.rows ?? 0;
  const incremental = results.every((r) => r.incrementalAvailable);
  const peer = (label: string, value: (r: SizeResult) => number) =>
    `| ${label} | ${results.map((r) => seconds(value(r))).join(' | ')} |`;
  return [
    '| workflows + rows | backup | listing floor | backup ÷ listing floor | full-read floor | backup ÷ full-read floor (≤ 1.3) | after 1 % changed | ÷ listing floor (≤ 1.2) | restore | best write path | restore ÷ best (≤ 1.25) | peak RSS backup / restore (≤ 200 MB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.workflows.toLocaleString('en')} + ${r.rows.toLocaleString('en')} | ${seconds(r.backupMs)} | ${seconds(r.listingFloorMs)} | ${ratio(r.backupMs, r.listingFloorMs)} | ${r.fullReadFloorMs === undefined ? '–' : seconds(r.fullReadFloorMs)} | ${ratio(r.backupMs, r.fullReadFloorMs)} | ${seconds(r.incrementalBackupMs)} | ${ratio(r.incrementalBackupMs, r.listingFloorMs)} | ${seconds(r.restoreMs)} | ${seconds(r.bestWriteMs)} | ${ratio(r.restoreMs, r.bestWriteMs)} | ${r.backupPeakRssMb} / ${r.restorePeakRssMb} MB |`,
    ),
    '',
    `| peers, same run | ${results.map((r) => `${r.workflows.toLocaleString('en')} workflows`).join(' | ')} |`,
    `|---|${results.map(() => '---:').join('|')}|`,
    peer('one GET per workflow, concurrency 8 (per-workflow GET floor)', (r) => r.workflowGetFloorMs),
    peer("n8n's package export, ≤ 300 per call", (r) => r.packageExportMs),
    peer(
      `raw \`POST /workflows\`, concurrency ${output.concurrency}, into an empty n8n`,
      (r) => r.rawCreatesMs,
    ),
    peer("n8n's package import, ≤ 300 per call, content included", (r) => r.packageImportMs),
    peer(
      `${rows.toLocaleString('en')} rows inserted ${output.rowBatch.toLocaleString('en')} per call`,
      (r) => r.rowsInsertMs,
    ),
    '',
    `${output.runs === 1 ? 'One run' : `Median of ${output.runs} runs`}${output.restoreRuns && output.restoreRuns > 1 ? ` (restore and package import: median of ${output.restoreRuns}, each into its own fresh n8n)` : ''}, measured ${output.measuredAt.slice(0, 10)} with \`npm run bench:real\` on 2 shared cores (1-minute load average ${results.map((r) => `${r.loadAverage.atStart}–${r.loadAverage.atEnd}`).join(' and ')} during the sizes). Full-read floor: the listing floor plus what the API forces on a full backup (a GET per workflow, its history list, a GET per saved version the listing lacks). Best write path: the faster of raw creates and package import, plus the rows and the table's create. ${incremental ? 'The backup is run with `--full`; the second one reads incrementally.' : 'This CLI has no `--full`: the second backup is a full one too.'}`,
  ].join('\n');
}

const jsonPath = join(root, values.out);
let output: Output;
if (values['render-only']) {
  output = JSON.parse(await readFile(jsonPath, 'utf8')) as Output;
} else {
  output = {
    measuredAt: new Date().toISOString(),
    runs: RUNS,
    restoreRuns: RESTORE_RUNS,
    concurrency: CONCURRENCY,
    rowBatch: DEFAULT_ROW_BATCH,
    sizes: [],
  };
  const written = {
    n8n: '2.41.1 (community edition, SQLite)',
    targets: {
      backupOverFullReadFloor: 1.3,
      incrementalOverListingFloor: 1.2,
      restoreOverBestWrite: 1.25,
      peakRssMb: 200,
    },
    ...output,
  };
  // Written after each size, so a run stopped during a later size keeps the sizes it finished.
  for (const size of SIZES) {
    written.sizes.push(await benchSize(size));
    await writeFile(jsonPath, `${JSON.stringify(written, null, 2)}\n`);
  }
}
const table = render(output);
process.stdout.write(`${table}\n`);
if (values.readme) {
  const readmePath = join(root, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  await writeFile(
    readmePath,
    readme.replace(
      /<!-- bench:real:start -->[\s\S]*?<!-- bench:real:end -->/,
      `<!-- bench:real:start -->\n${table}\n<!-- bench:real:end -->`,
    ),
  );
}
