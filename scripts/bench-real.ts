/**
 * `npm run bench:real`: n8n-ark against a REAL n8n 2.41.1 (install with `npm run e2e:setup`).
 * Seeds 500 workflows and 20,000 data-table rows through the Public API, then measures:
 *  - n8n-ark backup (the built CLI executed as users run it, shebang flags included: its own
 *    duration, peak RSS from /proc),
 *  - the floor: the same content fetched by a plain paging loop (scripts/bench-floor.ts),
 *  - n8n's own export of the same workflows: POST /api/v1/n8n-packages/export (≤ 300 ids per call).
 * Writes bench/real-n8n.json and the README's "real n8n" table.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startN8n } from '../test/e2e/harness/n8n-instance.js';

const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: '500' },
    rows: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
  },
});
const WORKFLOWS = Number(values.workflows);
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const root = join(import.meta.dirname, '..');

async function measure(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
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
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}`);
  return { stdout, peakRssMb: peakKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const n8n = await startN8n('bench');
const store = await mkdtemp(join(tmpdir(), 'n8n-ark-bench-real-'));
try {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${n8n.url}/api/v1${path}`, {
      method,
      headers: { 'X-N8N-API-KEY': n8n.apiKey, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
    return response;
  };
  process.stderr.write(`bench-real: seeding ${WORKFLOWS} workflows and ${ROWS} rows…\n`);
  const ids: string[] = [];
  for (let i = 0; i < WORKFLOWS; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, WORKFLOWS - i) }, (_, j) =>
        call('POST', '/workflows', {
          name: `Bench workflow ${i + j}`,
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
                assignments: { assignments: [{ id: randomUUID(), name: 'n', value: i + j, type: 'number' }] },
                options: {},
              },
            },
          ],
          connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
          settings: { executionOrder: 'v1' },
        }).then(async (r) => ((await r.json()) as { id: string }).id),
      ),
    );
    ids.push(...batch);
  }
  const table = (await (
    await call('POST', '/data-tables', {
      name: 'bench',
      columns: [
        { name: 'email', type: 'string' },
        { name: 'n', type: 'number' },
      ],
    })
  ).json()) as { id: string };
  for (let i = 0; i < ROWS; i += 250) {
    await call('POST', `/data-tables/${table.id}/rows`, {
      data: Array.from({ length: Math.min(250, ROWS - i) }, (_, j) => ({
        email: `row${i + j}@example.com`,
        n: i + j,
      })),
      returnType: 'count',
    });
  }

  const env = { BENCH_API_KEY: n8n.apiKey };
  const backup: number[] = [];
  const floor: number[] = [];
  const rss: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const f = await measure(
      join(root, 'node_modules/.bin/tsx'),
      [join(root, 'scripts/bench-floor.ts'), '--url', n8n.url],
      env,
    );
    floor.push((JSON.parse(f.stdout) as { ms: number }).ms);
    // Executed as users run it, so the shebang's Node flags apply; `env node` finds this Node.
    const b = await measure(
      join(root, 'dist/bin/n8n-ark.js'),
      ['backup', '--url', n8n.url, '--api-key-env', 'BENCH_API_KEY', '--store', store, '--json'],
      { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
    );
    const out = JSON.parse(b.stdout) as { durationMs: number; bytes: number };
    backup.push(out.durationMs);
    bytes = out.bytes;
    rss.push(b.peakRssMb);
  }

  // n8n's own export of the same workflows (Beta since 2.24; ≤ 300 workflow ids per call).
  let exportMs: number | undefined;
  let exportBytes = 0;
  let exportNote = '';
  try {
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 300) {
      const response = await call('POST', '/n8n-packages/export', { workflowIds: ids.slice(i, i + 300) });
      exportBytes += (await response.arrayBuffer()).byteLength;
    }
    exportMs = performance.now() - started;
  } catch (error) {
    exportNote = `n8n-packages/export failed: ${(error as Error).message.slice(0, 120)}`;
  }

  const result = {
    measuredAt: new Date().toISOString(),
    n8n: '2.41.1 (community edition, SQLite)',
    workflows: WORKFLOWS,
    rows: ROWS,
    runs: RUNS,
    n8nArkBackupMs: Math.round(median(backup)),
    n8nArkPeakRssMb: Math.round(Math.max(...rss)),
    n8nArkArchiveBytes: bytes,
    pagingFloorMs: Math.round(median(floor)),
    n8nPackagesExportMs: exportMs === undefined ? null : Math.round(exportMs),
    n8nPackagesExportBytes: exportBytes,
    note:
      exportNote ||
      'n8n-packages export covers workflows only (no data-table rows, tags listing or credentials metadata in this call)',
  };
  await writeFile(join(root, 'bench/real-n8n.json'), `${JSON.stringify(result, null, 2)}\n`);
  const tableMd = [
    '| on real n8n 2.41.1 (SQLite), 500 workflows + 20,000 rows | wall time | peak RSS | output |',
    '|---|---:|---:|---:|',
    `| n8n-ark backup (everything, verified archive) | ${(result.n8nArkBackupMs / 1000).toFixed(2)} s | ${result.n8nArkPeakRssMb} MB | ${(bytes / 1048576).toFixed(1)} MiB zip |`,
    `| plain paging loop, same content, thrown away (floor) | ${(result.pagingFloorMs / 1000).toFixed(2)} s | — | — |`,
    `| n8n's own \`POST /n8n-packages/export\` (workflows only) | ${exportMs === undefined ? 'n/a' : `${(exportMs / 1000).toFixed(2)} s`} | (in n8n) | ${(exportBytes / 1048576).toFixed(1)} MiB |`,
    '',
    `Median of ${RUNS} runs, measured ${result.measuredAt.slice(0, 10)} with \`npm run bench:real\`. ${result.note}.`,
  ].join('\n');
  process.stdout.write(`${tableMd}\n`);
  const readmePath = join(root, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  await writeFile(
    readmePath,
    readme.replace(
      /<!-- bench:real:start -->[\s\S]*?<!-- bench:real:end -->/,
      `<!-- bench:real:start -->\n${tableMd}\n<!-- bench:real:end -->`,
    ),
  );
} finally {
  await n8n.stop();
  await rm(store, { recursive: true, force: true });
}
