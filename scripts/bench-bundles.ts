/**
 * `npm run bench:bundles`: what bundling the AWS SDK into the Lambda bundles costs and saves.
 *
 * Each handler is bundled twice with the build's options (scripts/bundle-functions.ts): "runtime
 * SDK", `@aws-sdk/*` left external as the stack did before, loaded here from node_modules as the
 * Lambda runtime loads its own copy; and "bundled SDK", as shipped. Size: the bundle, its source
 * map, and the deployment zip (deflate level 9 of both, as the asset is zipped). Cold start: the
 * time a fresh `node` (this Node, the functions' NODE_OPTIONS) takes to load the handler module —
 * the part of a Lambda cold start the bundle decides — the median of --runs processes, one after
 * another. Results go to bench/bundles.json; docs/OPERATIONS.md quotes them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { HANDLERS, type HandlerName } from '../lib/bundles.js';
import { bundleOptions } from './bundle-functions.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const NODE_OPTIONS = '--max-semi-space-size=8 --enable-source-maps';
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);

interface Figures {
  bundleBytes: number;
  mapBytes: number;
  zipBytes: number;
  loadMs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function loadOnce(file: string): Promise<number> {
  const probe = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['-e', probe], {
    env: { ...process.env, NODE_OPTIONS, NODE_PATH: join(ROOT, 'node_modules') },
  });
  return Number(stdout);
}

/** Builds a handler's bundle into `dir` and measures its bytes; `loadMs` is filled in later. */
async function bundle(
  handler: HandlerName,
  external: string[],
  dir: string,
): Promise<Figures & { file: string }> {
  const file = join(dir, handler, 'index.js');
  await build({ ...bundleOptions(handler, external), outfile: file, logLevel: 'silent' });
  await writeFile(join(dir, handler, 'package.json'), '{"type":"commonjs"}\n');
  const [code, map] = await Promise.all([readFile(file), readFile(`${file}.map`)]);
  const zipBytes = [code, map].reduce((sum, bytes) => sum + deflateRawSync(bytes, { level: 9 }).length, 0);
  return { file, bundleBytes: code.length, mapBytes: map.length, zipBytes, loadMs: Number.NaN };
}

/** Loads the two variants alternately, so that the machine's load drifts over both alike. */
async function measure(
  handler: HandlerName,
  work: string,
): Promise<{ runtimeSdk: Figures; bundledSdk: Figures }> {
  const { file: runtimeFile, ...runtimeSdk } = await bundle(
    handler,
    ['@aws-sdk/*'],
    join(work, 'runtime-sdk'),
  );
  const { file: bundledFile, ...bundledSdk } = await bundle(handler, [], join(work, 'bundled-sdk'));
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    times[0].push(await loadOnce(runtimeFile));
    times[1].push(await loadOnce(bundledFile));
  }
  return {
    runtimeSdk: { ...runtimeSdk, loadMs: Math.round(median(times[0])) },
    bundledSdk: { ...bundledSdk, loadMs: Math.round(median(times[1])) },
  };
}

const work = await mkdtemp(join(tmpdir(), 'n8n-ark-bundles-'));
try {
  const results: Record<string, { runtimeSdk: Figures; bundledSdk: Figures }> = {};
  for (const handler of HANDLERS) results[handler] = await measure(handler, work);
  const kb = (bytes: number) => Math.round(bytes / 1000).toLocaleString('en-US');
  console.log('| function | bundle KB (runtime SDK → bundled) | zip KB | module load ms (median) |');
  console.log('|---|---|---|---|');
  for (const [handler, { runtimeSdk: a, bundledSdk: b }] of Object.entries(results))
    console.log(
      `| ${handler} | ${kb(a.bundleBytes)} → ${kb(b.bundleBytes)} | ${kb(a.zipBytes)} → ${kb(b.zipBytes)} | ${a.loadMs} → ${b.loadMs} |`,
    );
  const machine = { node: process.version, cores: cpus().length, loadAverage: loadavg()[0]?.toFixed(1) };
  await writeFile(
    join(ROOT, 'bench', 'bundles.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), runs, nodeOptions: NODE_OPTIONS, machine, results }, null, 2)}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
