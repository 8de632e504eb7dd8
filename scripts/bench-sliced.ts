/**
 * The sliced backup's bench line (`npm run bench`, after the sizes): one instance on the API double
 * (workflows × saved versions + rows), backed up twice — once by the CLI in one run (`backup --full`
 * into a folder), once as the backup state machine runs it: the backup Lambda's bundle as deployed
 * (dist/lambda/backup), each slice a process of its own believing it has `sliceSeconds` (it keeps
 * back a quarter of that as its margin), into a versioned bucket on moto, slice after slice until
 * the archive is published. Figures: the slices, the sliced total ÷ the unsliced CLI backup, the
 * peak RSS of each slice (its process's maxRSS) beside the CLI's, and the load average around it.
 * The slicing itself (`sliceBackup`, any n8n by URL and API key) also gives `npm run bench:real`
 * its sliced line against real n8n.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { startMoto } from '../test/integration/support/moto.js';
import { type InvocationRecord, invokeInProcess } from '../test/machines/support/lambda-process.js';
import { backupRun, round, startDouble } from './bench-process.js';

const root = join(import.meta.dirname, '..');
const bundle = join(root, 'dist/lambda/backup/index.js');
/** As the CDK construct sets it for every function (lib/ark-function.ts). */
const NODE_OPTIONS = '--max-semi-space-size=8 --enable-source-maps';
/** A slice that neither answers nor dies in this many slice lengths is a hung bench. */
const MAX_SLICES = 200;

export interface SlicedOptions {
  workflows: number;
  rows: number;
  versions: number;
  sliceSeconds: number;
  concurrency: string;
}

export interface SlicedResult extends SlicedOptions {
  measuredAt: string;
  slices: number;
  slicedMs: number;
  unslicedMs: number;
  ratio: number;
  peakRssPerSliceMb: number;
  unslicedPeakRssMb: number;
  archiveBytes: number;
  /** 1-minute load average before and after. */
  load: [number, number];
  targets: { ratio: number; peakRssPerSliceMb: number };
}

/** What the slices of one sliced backup did. */
export interface Slices {
  sliceSeconds: number;
  slices: number;
  /** From the first slice's start to the last one's answer. */
  slicedMs: number;
  /** The largest of the slices' peak RSS (each its process's maxRSS). */
  peakRssPerSliceMb: number;
}

/**
 * The backup of the n8n at `n8n` as the backup state machine runs it: the backup Lambda's bundle
 * (dist/lambda/backup), its API key in Secrets Manager and its archive going to a fresh versioned
 * bucket, both on a moto of its own, each slice a process believing it has `sliceSeconds`, slice
 * after slice until the archive is published. Used by `npm run bench` (the double) and
 * `npm run bench:real` (real n8n).
 */
export async function sliceBackup(
  n8n: { url: string; apiKey: string },
  sliceSeconds: number,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Slices> {
  const moto = await startMoto();
  try {
    const bucket = 'n8n-ark-bench';
    await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await moto.secrets.send(
      new CreateSecretCommand({
        Name: 'n8n-ark/bench',
        SecretString: JSON.stringify({ url: n8n.url, apiKey: n8n.apiKey }),
      }),
    );
    const environment = {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS,
      ARCHIVE_BUCKET: bucket,
      ARCHIVE_PREFIX: 'archives',
      INSTANCES: JSON.stringify({ bench: 'n8n-ark/bench' }),
      ...moto.env,
      LOG_LEVEL: 'warn',
    };
    const slices: InvocationRecord[] = [];
    const event = {
      instance: 'bench',
      slicing: { execution: 'arn:aws:states:us-east-1:123456789012:execution:Backup:bench' },
    };
    const started = Date.now();
    let answer: { done?: boolean } = {};
    while (!answer.done) {
      if (slices.length >= MAX_SLICES)
        throw new Error(`the sliced backup was not done after ${MAX_SLICES} slices`);
      answer = (await invokeInProcess(
        { name: 'backup', bundle, environment },
        event,
        { budgetMs: sliceSeconds * 1000 },
        (record) => slices.push(record),
      )) as typeof answer;
      const last = slices.at(-1);
      log(`  slice ${slices.length}: ${round(last?.ms ?? 0)} ms, peak RSS ${last?.maxRssMb ?? '?'} MB`);
    }
    return {
      sliceSeconds,
      slices: slices.length,
      slicedMs: Date.now() - started,
      peakRssPerSliceMb: round(Math.max(...slices.map((s) => s.maxRssMb ?? Number.NaN)), 1),
    };
  } finally {
    await moto.stop();
  }
}

export async function measureSlicedBackup(options: SlicedOptions): Promise<SlicedResult> {
  const load1 = loadavg()[0] ?? Number.NaN;
  process.stderr.write(
    `bench: sliced backup of ${options.workflows} workflows × ${options.versions} versions + ${options.rows} rows, slices of ${options.sliceSeconds} s: seeding the double…\n`,
  );
  const double = await startDouble(options);
  const folder = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-sliced-'));
  try {
    const unsliced = await backupRun(
      double,
      folder,
      'bench',
      '--concurrency',
      options.concurrency,
      '--full',
      '--json',
    );
    const unslicedMs = (JSON.parse(unsliced.stdout) as { durationMs: number }).durationMs;
    process.stderr.write(
      `  unsliced CLI backup ${round(unslicedMs)} ms, peak RSS ${round(unsliced.peakRssMb)} MB\n`,
    );
    const sliced = await sliceBackup(double, options.sliceSeconds);
    return {
      ...options,
      measuredAt: new Date().toISOString(),
      slices: sliced.slices,
      slicedMs: sliced.slicedMs,
      unslicedMs: round(unslicedMs),
      ratio: round(sliced.slicedMs / unslicedMs, 2),
      peakRssPerSliceMb: sliced.peakRssPerSliceMb,
      unslicedPeakRssMb: round(unsliced.peakRssMb, 1),
      archiveBytes: (JSON.parse(unsliced.stdout) as { bytes: number }).bytes,
      load: [round(load1, 1), round(loadavg()[0] ?? Number.NaN, 1)],
      targets: { ratio: 1.15, peakRssPerSliceMb: 512 },
    };
  } finally {
    double.process.kill();
    await rm(folder, { recursive: true, force: true });
  }
}

/** The README's line for it. */
export function slicedTable(r: SlicedResult): string {
  return [
    '| instance | slices of | slices | sliced total | unsliced CLI backup | sliced ÷ unsliced (target ≤ 1.15) | peak RSS per slice (target ≤ 512 MB) | CLI peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.workflows.toLocaleString('en')} workflows × ${r.versions} versions + ${r.rows.toLocaleString('en')} rows | ${r.sliceSeconds} s | ${r.slices} | ${(r.slicedMs / 1000).toFixed(1)} s | ${(r.unslicedMs / 1000).toFixed(1)} s | ${r.ratio.toFixed(2)} | ${r.peakRssPerSliceMb.toFixed(0)} MB | ${r.unslicedPeakRssMb.toFixed(0)} MB |`,
    '',
    `Measured ${r.measuredAt.slice(0, 10)} on 2 shared cores, 1-minute load average ${r.load[0]} before and ${r.load[1]} after; one run each.`,
  ].join('\n');
}
