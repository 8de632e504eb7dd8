/**
 * `npm run bench`: backup (and, where available, restore) speed and memory on the n8n API double.
 *
 * For each size the double runs in its own process, seeded with N workflows and the data-table rows.
 * Backup: the real CLI (`dist/bin/n8n-ark.js backup --json`) in a child process, executed as users
 * run it (`npx n8n-ark`, the installed bin): the file itself, so its shebang's Node flags apply
 * (`node` on the child's PATH is this Node). Wall time is the backup's own duration, peak RSS is the
 * child's VmHWM read from /proc while it runs.
 * Floor: the same pages fetched with the same concurrency and thrown away (scripts/bench-floor.ts).
 * Each figure is the median of --runs runs. Results go to bench/results.json and the README table.
 *
 * Pinned data (--pinned, on by default; `--sizes ''` runs it alone): one workflow with 32 MiB of
 * pinned data restored into an empty double, against the same workflow without it plus the floor of
 * one raw POST of the 32 MiB workflow body (what the API cannot do faster). Target: ratio under 2.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createN8nClient } from '../functions/adapters/n8n/index.js';
import type { JsonObject, WorkflowWrite } from '../functions/core/n8n-types.js';
import {
  backupRun,
  cli,
  cliPath,
  type Double,
  measure,
  median,
  round,
  startDouble as startSeededDouble,
  tsx,
} from './bench-process.js';
import { measureSlicedBackup, slicedTable } from './bench-sliced.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    rows: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    readme: { type: 'boolean', default: true },
    restore: { type: 'boolean', default: true },
    pinned: { type: 'boolean', default: true },
    // The sliced backup's line (scripts/bench-sliced.ts): its instance and its slices' length.
    sliced: { type: 'boolean', default: true },
    'sliced-workflows': { type: 'string', default: '10000' },
    'sliced-versions': { type: 'string', default: '10' },
    'sliced-rows': { type: 'string', default: '1000000' },
    'slice-seconds': { type: 'string', default: '60' },
    // Encrypted ÷ plain (backup and restore, paired) at this many workflows; '' skips it.
    encryption: { type: 'string', default: '10000' },
  },
  // --no-readme prints the table only (README and bench/results.json untouched); --no-restore
  // measures the backup only and implies --no-readme. Both are for quicker A/B runs.
  allowNegative: true,
});
const sizes = values.sizes.split(',').filter(Boolean).map(Number);
const rows = Number(values.rows);
const runs = Number(values.runs);
const root = join(import.meta.dirname, '..');

/**
 * A double seeded with `workflows` and `seedRows`; `payloadMib` is its N8N_PAYLOAD_SIZE_MAX (n8n's
 * default 16; the pinned-data case models an instance that raised it, as one holding 32 MiB must).
 */
const startDouble = (workflows: number, seedRows = rows, payloadMib = 16): Promise<Double> =>
  startSeededDouble({ workflows, rows: seedRows, payloadMib });

/** The built CLI's restore of `archive` into the double with its ledger at `ledger`, then `flags`, measured. */
function restoreRun(archive: string, target: Double, ledger: string, ...flags: string[]) {
  return measure(
    cli,
    [
      'restore',
      archive,
      '--url',
      target.url,
      '--api-key-env',
      'BENCH_API_KEY',
      '--concurrency',
      values.concurrency,
      '--ledger',
      ledger,
      '--json',
      ...flags,
    ],
    { BENCH_API_KEY: target.apiKey, ...cliPath },
  );
}

interface SizeResult {
  workflows: number;
  rows: number;
  backupMs: number;
  floorMs: number;
  ratio: number;
  incrementalMs: number;
  listingFloorMs: number;
  incrementalRatio: number;
  incrementalPeakRssMb: number;
  peakRssMb: number;
  archiveBytes: number;
  restoreMs: number;
  writeFloorMs: number;
  restoreRatio: number;
  restorePeakRssMb: number;
}

/** Restores the archive into a fresh empty double, and replays the writes any restore must make into another (scripts/bench-write-floor.ts). */
async function measureRestore(
  archive: string,
): Promise<{ restoreMs: number; writeFloorMs: number; peakRssMb: number }> {
  const target = await startDouble(0, 0);
  const floorTarget = await startDouble(0, 0);
  try {
    const r = await restoreRun(archive, target, `${archive}.bench-ledger-${Date.now()}.json`);
    const f = await measure(
      tsx,
      [
        join(root, 'scripts/bench-write-floor.ts'),
        '--url',
        floorTarget.url,
        '--archive',
        archive,
        '--concurrency',
        values.concurrency,
      ],
      {
        BENCH_API_KEY: floorTarget.apiKey,
      },
    );
    return {
      restoreMs: (JSON.parse(r.stdout) as { durationMs: number }).durationMs,
      writeFloorMs: (JSON.parse(f.stdout) as { ms: number }).ms,
      peakRssMb: r.peakRssMb,
    };
  } finally {
    target.process.kill();
    floorTarget.process.kill();
  }
}

interface EncryptionResult {
  workflows: number;
  rows: number;
  runs: number;
  backupMs: { plain: number; encrypted: number };
  backupRatio: number;
  backupPeakRssMb: { plain: number; encrypted: number };
  restoreMs: { plain: number; encrypted: number };
  restoreRatio: number;
  restorePeakRssMb: { plain: number; encrypted: number };
  archiveBytes: { plain: number; encrypted: number };
  /** The machine's 1-minute load average at the start and the end (the cores are shared). */
  loadAverage: [number, number];
}

/**
 * Encrypted ÷ plain: full backups of one double, plain and `--encrypt --recipient`, then restores of
 * the two archives into fresh empty doubles; each pair runs back to back, its order alternating
 * run by run, so both halves of a pair see the same load.
 */
async function measureEncryption(workflows: number): Promise<EncryptionResult> {
  const { generateX25519Identity, identityToRecipient } = await import('age-encryption');
  const { loadavg } = await import('node:os');
  const load = [loadavg()[0] ?? 0];
  process.stderr.write(`bench: encrypted ÷ plain at ${workflows} workflows, ${rows} rows: seeding…\n`);
  const double = await startDouble(workflows);
  const store = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-sealed-'));
  const identity = await generateX25519Identity();
  const keyFile = join(store, 'bench.key');
  await writeFile(keyFile, `${identity}\n`, { mode: 0o600 });
  const sealing = ['--encrypt', '--recipient', await identityToRecipient(identity)];
  const kinds = (run: number) =>
    run % 2 === 0 ? (['plain', 'encrypted'] as const) : (['encrypted', 'plain'] as const);
  const samples = {
    backup: { plain: [] as number[], encrypted: [] as number[] },
    restore: { plain: [] as number[], encrypted: [] as number[] },
  };
  const rss = { backup: { plain: 0, encrypted: 0 }, restore: { plain: 0, encrypted: 0 } };
  const archives = { plain: { path: '', bytes: 0 }, encrypted: { path: '', bytes: 0 } };
  try {
    for (let run = 0; run < runs; run += 1)
      for (const kind of kinds(run)) {
        const b = await backupRun(
          double,
          store,
          kind,
          '--concurrency',
          values.concurrency,
          '--full',
          '--json',
          ...(kind === 'encrypted' ? sealing : []),
        );
        const out = JSON.parse(b.stdout) as { durationMs: number; bytes: number; archive: string };
        samples.backup[kind].push(out.durationMs);
        rss.backup[kind] = Math.max(rss.backup[kind], b.peakRssMb);
        archives[kind] = { path: out.archive, bytes: out.bytes };
        process.stderr.write(
          `  run ${run + 1} ${kind} backup ${round(out.durationMs)} ms, peak RSS ${round(b.peakRssMb)} MB\n`,
        );
      }
    for (let run = 0; run < runs; run += 1)
      for (const kind of kinds(run)) {
        const target = await startDouble(0, 0);
        try {
          const r = await restoreRun(
            archives[kind].path,
            target,
            join(store, `${kind}-${run}.ledger.json`),
            ...(kind === 'encrypted' ? ['--identity-file', keyFile] : []),
          );
          samples.restore[kind].push((JSON.parse(r.stdout) as { durationMs: number }).durationMs);
          rss.restore[kind] = Math.max(rss.restore[kind], r.peakRssMb);
          process.stderr.write(
            `  run ${run + 1} ${kind} restore ${round(samples.restore[kind].at(-1) ?? 0)} ms, peak RSS ${round(r.peakRssMb)} MB\n`,
          );
        } finally {
          target.process.kill();
        }
      }
  } finally {
    double.process.kill();
    await rm(store, { recursive: true, force: true });
  }
  load.push(loadavg()[0] ?? 0);
  const ms = (xs: { plain: number[]; encrypted: number[] }) => ({
    plain: round(median(xs.plain)),
    encrypted: round(median(xs.encrypted)),
  });
  const mb = (x: { plain: number; encrypted: number }) => ({
    plain: round(x.plain, 1),
    encrypted: round(x.encrypted, 1),
  });
  const backupMs = ms(samples.backup);
  const restoreMs = ms(samples.restore);
  return {
    workflows,
    rows,
    runs,
    backupMs,
    backupRatio: round(backupMs.encrypted / backupMs.plain, 2),
    backupPeakRssMb: mb(rss.backup),
    restoreMs,
    restoreRatio: round(restoreMs.encrypted / restoreMs.plain, 2),
    restorePeakRssMb: mb(rss.restore),
    archiveBytes: { plain: archives.plain.bytes, encrypted: archives.encrypted.bytes },
    loadAverage: [round(load[0] ?? 0, 1), round(load[1] ?? 0, 1)],
  };
}

function encryptionMarkdown(e: EncryptionResult): string {
  const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
  return [
    '| workflows | data-table rows | | plain | encrypted (age, one X25519 recipient) | encrypted ÷ plain (target ≤ 1.10) | peak RSS, plain → encrypted |',
    '|---:|---:|---|---:|---:|---:|---:|',
    `| ${e.workflows.toLocaleString('en')} | ${e.rows.toLocaleString('en')} | backup (\`--full\`) | ${s(e.backupMs.plain)} | ${s(e.backupMs.encrypted)} | ${e.backupRatio.toFixed(2)} | ${e.backupPeakRssMb.plain.toFixed(0)} → ${e.backupPeakRssMb.encrypted.toFixed(0)} MB |`,
    `| ${e.workflows.toLocaleString('en')} | ${e.rows.toLocaleString('en')} | restore into an empty instance | ${s(e.restoreMs.plain)} | ${s(e.restoreMs.encrypted)} | ${e.restoreRatio.toFixed(2)} | ${e.restorePeakRssMb.plain.toFixed(0)} → ${e.restorePeakRssMb.encrypted.toFixed(0)} MB |`,
    '',
    `Archive ${(e.archiveBytes.plain / 1048576).toFixed(2)} MiB plain, ${(e.archiveBytes.encrypted / 1048576).toFixed(2)} MiB encrypted. Median of ${e.runs} pairs, each pair back to back in alternating order; 1-minute load average ${e.loadAverage[0]} at the start and ${e.loadAverage[1]} at the end (2 cores shared with other work). Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
  ].join('\n');
}

const PINNED_MIB = 32;
const MiB = 1024 * 1024;
/** N8N_PAYLOAD_SIZE_MAX of the doubles in the pinned-data case: above its 32 MiB workflow. */
const PINNED_PAYLOAD_MIB = 64;

/** A workflow whose pinned data is `pinnedMib` MiB of JSON: ~1 KiB order records on its trigger. */
function pinnedWorkflow(pinnedMib: number): WorkflowWrite {
  const trigger = 'Orders arrive';
  const record = (i: number) => ({
    json: { id: i, customer: `customer-${i % 997}`, total: (i * 37) % 10_000, note: 'x'.repeat(960) },
  });
  const perRecord = JSON.stringify(record(0)).length + 1;
  const items = Array.from({ length: Math.ceil((pinnedMib * MiB) / perRecord) }, (_, i) => record(i));
  return {
    name: 'Orders with pinned data',
    nodes: [
      {
        id: 'n1',
        name: trigger,
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: 'n2',
        name: 'Keep',
        type: 'n8n-nodes-base.noOp',
        typeVersion: 1,
        position: [200, 0],
        parameters: {},
      },
    ],
    connections: { [trigger]: { main: [[{ node: 'Keep', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
    ...(pinnedMib > 0 ? { pinData: { [trigger]: items } as JsonObject } : {}),
  };
}

/** A backup of an otherwise empty double holding `workflow`: the archive the restore is timed on. */
async function archiveOf(workflow: WorkflowWrite, store: string): Promise<string> {
  const double = await startDouble(0, 0, PINNED_PAYLOAD_MIB);
  try {
    await createN8nClient({ baseUrl: double.url, apiKey: double.apiKey }).createWorkflow(workflow);
    const b = await backupRun(double, store, 'pinned', '--json');
    return (JSON.parse(b.stdout) as { archive: string }).archive;
  } finally {
    double.process.kill();
  }
}

/** The CLI's restore of `archive` into a fresh empty double: its own duration. */
async function restoreMs(archive: string): Promise<number> {
  const target = await startDouble(0, 0, PINNED_PAYLOAD_MIB);
  try {
    // (with the bench's --concurrency, 4 unless given: the CLI's default)
    const r = await restoreRun(archive, target, `${archive}.bench-ledger-${Date.now()}.json`);
    return (JSON.parse(r.stdout) as { durationMs: number }).durationMs;
  } finally {
    target.process.kill();
  }
}

/** The floor: one raw POST /workflows of the body into a fresh empty double, its answer read to the end. */
async function uploadMs(body: string): Promise<number> {
  const target = await startDouble(0, 0, PINNED_PAYLOAD_MIB);
  try {
    const started = performance.now();
    const answer = await fetch(`${target.url}/api/v1/workflows`, {
      method: 'POST',
      headers: { 'X-N8N-API-KEY': target.apiKey, 'content-type': 'application/json' },
      body,
    });
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`the floor's POST /workflows answered ${answer.status}`);
    return performance.now() - started;
  } finally {
    target.process.kill();
  }
}

interface PinnedResult {
  pinnedMib: number;
  withPinnedMs: number;
  withoutPinnedMs: number;
  uploadMs: number;
  ratio: number;
}

async function measurePinned(): Promise<PinnedResult> {
  process.stderr.write(`bench: one workflow with ${PINNED_MIB} MiB of pinned data: backing it up…\n`);
  const store = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-pinned-'));
  try {
    const pinned = pinnedWorkflow(PINNED_MIB);
    const withPinned = await archiveOf(pinned, store);
    const withoutPinned = await archiveOf(pinnedWorkflow(0), store);
    const body = JSON.stringify(pinned);
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      a.push(await restoreMs(withPinned));
      b.push(await restoreMs(withoutPinned));
      c.push(await uploadMs(body));
      process.stderr.write(
        `  run ${run + 1}: restore with pinned data ${round(a.at(-1)!)} ms, without ${round(b.at(-1)!)} ms, upload of ${(body.length / MiB).toFixed(1)} MiB ${round(c.at(-1)!)} ms\n`,
      );
    }
    return {
      pinnedMib: PINNED_MIB,
      withPinnedMs: round(median(a)),
      withoutPinnedMs: round(median(b)),
      uploadMs: round(median(c)),
      ratio: round(median(a) / (median(b) + median(c)), 2),
    };
  } finally {
    await rm(store, { recursive: true, force: true });
  }
}

/**
 * The nightly case: before each run 1 % of the workflows get a new description (a PUT each, not
 * timed), then the listing floor (every list page and package export, no per-workflow read) and
 * an incremental backup over the archive before it.
 */
async function measureIncremental(
  double: Double,
  store: string,
  workflows: number,
): Promise<
  Pick<SizeResult, 'incrementalMs' | 'listingFloorMs' | 'incrementalRatio' | 'incrementalPeakRssMb'>
> {
  const env = { BENCH_API_KEY: double.apiKey };
  const api = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey });
  const ids: string[] = [];
  // n8n refuses to update an archived workflow; the seeded double has some.
  for await (const workflow of api.listWorkflows({ excludePinnedData: true }))
    if (workflow.isArchived !== true) ids.push(workflow.id);
  const changed = Math.max(1, Math.ceil(workflows / 100));
  const listing: number[] = [];
  const incremental: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    for (const id of ids.slice(run * changed, (run + 1) * changed)) {
      const { name, nodes, connections, settings } = await api.getWorkflow(id);
      await api.updateWorkflow(id, { name, nodes, connections, settings, description: `night ${run + 1}` });
    }
    const f = await measure(
      tsx,
      [
        join(root, 'scripts/bench-floor.ts'),
        '--url',
        double.url,
        '--concurrency',
        values.concurrency,
        '--only',
        'listing',
      ],
      env,
    );
    listing.push((JSON.parse(f.stdout) as { ms: number }).ms);
    const b = await backupRun(double, store, 'bench', '--concurrency', values.concurrency, '--json');
    const out = JSON.parse(b.stdout) as { durationMs: number; incremental?: { workflowsReused: number } };
    incremental.push(out.durationMs);
    rss.push(b.peakRssMb);
    process.stderr.write(
      `  nightly ${run + 1}: ${changed} changed, listing floor ${round(listing.at(-1)!)} ms, incremental backup ${round(out.durationMs)} ms (${out.incremental?.workflowsReused ?? 0} reused), peak RSS ${round(b.peakRssMb)} MB\n`,
    );
  }
  return {
    incrementalMs: round(median(incremental)),
    listingFloorMs: round(median(listing)),
    incrementalRatio: round(median(incremental) / median(listing), 2),
    incrementalPeakRssMb: round(Math.max(...rss), 1),
  };
}

const results: SizeResult[] = [];
for (const workflows of sizes) {
  process.stderr.write(`bench: ${workflows} workflows, ${rows} rows: seeding the double…\n`);
  const double = await startDouble(workflows);
  const store = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-'));
  try {
    const env = { BENCH_API_KEY: double.apiKey };
    const floor: number[] = [];
    const backup: number[] = [];
    const rss: number[] = [];
    let archiveBytes = 0;
    let archivePath = '';
    for (let run = 0; run < runs; run += 1) {
      const f = await measure(
        tsx,
        [join(root, 'scripts/bench-floor.ts'), '--url', double.url, '--concurrency', values.concurrency],
        env,
      );
      floor.push((JSON.parse(f.stdout) as { ms: number }).ms);
      const b = await backupRun(
        double,
        store,
        'bench',
        '--concurrency',
        values.concurrency,
        '--full',
        '--json',
      );
      const out = JSON.parse(b.stdout) as { durationMs: number; bytes: number; archive: string };
      backup.push(out.durationMs);
      archiveBytes = out.bytes;
      archivePath = out.archive;
      rss.push(b.peakRssMb);
      process.stderr.write(
        `  run ${run + 1}: floor ${round(floor.at(-1)!)} ms, backup ${round(out.durationMs)} ms, peak RSS ${round(b.peakRssMb)} MB\n`,
      );
    }
    const nightly = await measureIncremental(double, store, workflows);
    let restore = { restoreMs: Number.NaN, writeFloorMs: Number.NaN, peakRssMb: Number.NaN };
    if (values.restore) {
      process.stderr.write(
        '  restoring the last archive into an empty double, and the write floor into another…\n',
      );
      restore = await measureRestore(archivePath);
      process.stderr.write(
        `  restore ${round(restore.restoreMs)} ms, write floor ${round(restore.writeFloorMs)} ms, peak RSS ${round(restore.peakRssMb)} MB\n`,
      );
    }
    results.push({
      workflows,
      rows,
      backupMs: round(median(backup)),
      floorMs: round(median(floor)),
      ratio: round(median(backup) / median(floor), 2),
      ...nightly,
      peakRssMb: round(Math.max(...rss), 1),
      archiveBytes,
      restoreMs: round(restore.restoreMs),
      writeFloorMs: round(restore.writeFloorMs),
      restoreRatio: round(restore.restoreMs / restore.writeFloorMs, 2),
      restorePeakRssMb: round(restore.peakRssMb, 1),
    });
  } finally {
    double.process.kill();
    await rm(store, { recursive: true, force: true });
  }
}

const pinned = values.pinned ? await measurePinned() : undefined;
const sliced = values.sliced
  ? await measureSlicedBackup({
      workflows: Number(values['sliced-workflows']),
      versions: Number(values['sliced-versions']),
      rows: Number(values['sliced-rows']),
      sliceSeconds: Number(values['slice-seconds']),
      concurrency: values.concurrency,
    })
  : undefined;
const encryption = values.encryption ? await measureEncryption(Number(values.encryption)) : undefined;

const rssSpread =
  results.length > 1
    ? Math.max(...results.map((r) => r.peakRssMb)) / Math.min(...results.map((r) => r.peakRssMb)) - 1
    : 0;
const report = {
  measuredAt: new Date().toISOString(),
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  targets: {
    backupOverFloor: 1.15,
    incrementalOverListingFloor: 1.2,
    peakRssMb: 200,
    rssSpreadBetweenSizes: 0.15,
    restoreOverWriteFloor: 1.25,
  },
  backup: results,
  rssSpreadBetweenSizes: round(rssSpread, 3),
};

const table = [
  '| workflows | data-table rows | backup | read floor | backup ÷ floor (target ≤ 1.15) | peak RSS (target ≤ 200 MB) | archive |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.workflows.toLocaleString('en')} | ${r.rows.toLocaleString('en')} | ${(r.backupMs / 1000).toFixed(2)} s | ${(r.floorMs / 1000).toFixed(2)} s | ${r.ratio.toFixed(2)} | ${r.peakRssMb.toFixed(0)} MB | ${(r.archiveBytes / 1048576).toFixed(1)} MiB |`,
  ),
  '',
  '| workflows | data-table rows | incremental backup, 1 % changed | listing floor (no per-workflow read) | incremental ÷ listing floor (target ≤ 1.2) | peak RSS |',
  '|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.workflows.toLocaleString('en')} | ${r.rows.toLocaleString('en')} | ${(r.incrementalMs / 1000).toFixed(2)} s | ${(r.listingFloorMs / 1000).toFixed(2)} s | ${r.incrementalRatio.toFixed(2)} | ${r.incrementalPeakRssMb.toFixed(0)} MB |`,
  ),
  '',
  '| workflows | data-table rows | restore into an empty instance | write floor (the writes n8n requires) | restore ÷ floor (target ≤ 1.25) | peak RSS |',
  '|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.workflows.toLocaleString('en')} | ${r.rows.toLocaleString('en')} | ${(r.restoreMs / 1000).toFixed(2)} s | ${(r.writeFloorMs / 1000).toFixed(2)} s | ${r.restoreRatio.toFixed(2)} | ${r.restorePeakRssMb.toFixed(0)} MB |`,
  ),
  '',
  `Peak RSS spread between sizes: ${(rssSpread * 100).toFixed(1)} % (target ≤ 15 %). Measured ${report.measuredAt.slice(0, 10)} on ${report.machine.cpus} cores, Node ${report.machine.node}, median of ${runs} runs.`,
].join('\n');
const pinnedTable = pinned
  ? [
      `| restore of one workflow with ${pinned.pinnedMib} MiB of pinned data (a) | the same without it (b) | one raw POST of its ${pinned.pinnedMib} MiB body (c) | a ÷ (b + c) (target < 2) |`,
      '|---:|---:|---:|---:|',
      `| ${(pinned.withPinnedMs / 1000).toFixed(2)} s | ${(pinned.withoutPinnedMs / 1000).toFixed(2)} s | ${(pinned.uploadMs / 1000).toFixed(2)} s | ${pinned.ratio.toFixed(2)} |`,
      '',
      `Measured ${report.measuredAt.slice(0, 10)} on ${report.machine.cpus} cores, Node ${report.machine.node}, median of ${runs} runs.`,
    ].join('\n')
  : undefined;
const encryptionTable = encryption ? encryptionMarkdown(encryption) : undefined;
if (results.length > 0) process.stdout.write(`${table}\n`);
if (pinnedTable) process.stdout.write(`${pinnedTable}\n`);
if (sliced) process.stdout.write(`${slicedTable(sliced)}\n`);
if (encryptionTable) process.stdout.write(`${encryptionTable}\n`);
if (values.readme && (values.restore || results.length === 0)) await record();

/** Writes what ran into bench/results.json and the README, keeping the figures of the parts that did not. */
async function record(): Promise<void> {
  const resultsPath = join(root, 'bench/results.json');
  const previous = JSON.parse(await readFile(resultsPath, 'utf8')) as Record<string, unknown>;
  const merged = {
    ...previous,
    ...(results.length > 0 ? report : {}),
    ...(pinned ? { pinnedDataRestore: { measuredAt: report.measuredAt, target: 2, ...pinned } } : {}),
    ...(sliced ? { slicedBackup: sliced } : {}),
    ...(encryption ? { encryption: { measuredAt: report.measuredAt, target: 1.1, ...encryption } } : {}),
  };
  await writeFile(resultsPath, `${JSON.stringify(merged, null, 2)}\n`);
  const readmePath = join(root, 'README.md');
  let readme = await readFile(readmePath, 'utf8');
  if (results.length > 0)
    readme = readme.replace(
      /<!-- bench:backup:start -->[\s\S]*?<!-- bench:backup:end -->/,
      `<!-- bench:backup:start -->\n${table}\n<!-- bench:backup:end -->`,
    );
  if (pinnedTable)
    readme = readme.replace(
      /<!-- bench:pinned:start -->[\s\S]*?<!-- bench:pinned:end -->/,
      `<!-- bench:pinned:start -->\n${pinnedTable}\n<!-- bench:pinned:end -->`,
    );
  if (sliced)
    readme = readme.replace(
      /<!-- bench:sliced:start -->[\s\S]*?<!-- bench:sliced:end -->/,
      `<!-- bench:sliced:start -->\n${slicedTable(sliced)}\n<!-- bench:sliced:end -->`,
    );
  if (encryptionTable)
    readme = readme.replace(
      /<!-- bench:encryption:start -->[\s\S]*?<!-- bench:encryption:end -->/,
      `<!-- bench:encryption:start -->\n${encryptionTable}\n<!-- bench:encryption:end -->`,
    );
  await writeFile(readmePath, readme);
}
