/**
 * The drill report as a person sees it: a real drill (API doubles) writes its HTML page, and Debian's
 * headless Chromium renders it — its DOM dump must show the counts, the verdict and the chart, its
 * screenshot must hold far more than an empty page's. Chromium runs with a bounded time and its
 * whole process group is killed afterwards. Needs `chromium` on PATH (Debian: apt-get install chromium).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDrillHtml } from '../../functions/core/drill/html.js';
import type { DrillReport } from '../../functions/core/drill/report.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, runCapturedCli } from '../integration/support/run-cli.js';

const CHROMIUM_TIMEOUT_MS = 60_000;

function findChromium(): string {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'chromium'))
    .find((path) => existsSync(path));
  if (!found)
    throw new Error(
      "Debian's chromium is not on PATH: this suite renders the drill report in it (apt-get install chromium)",
    );
  return found;
}

interface ChromiumRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One headless Chromium run, killed with its whole process group when it ends or times out. */
function chromium(binary: string, profile: string, args: string[]): Promise<ChromiumRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`chromium did not finish in ${CHROMIUM_TIMEOUT_MS} ms: ${stderr.slice(-2000)}`));
    }, CHROMIUM_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, stdout, stderr });
    });
  });
}

let binary: string;
let work: string;
let source: N8nDouble;
let scratch: N8nDouble;
let report: DrillReport;
let html: string;

beforeAll(async () => {
  binary = findChromium();
  work = await mkdtemp(join(tmpdir(), 'n8n-ark-browser-'));
  source = await startN8nDouble({ licensed: 'all' });
  scratch = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 9, rowsTotal: 120 });
  scratch.state.createTag('n8n-ark-drill-target');
  const env = { SOURCE_KEY: source.apiKey, SCRATCH_KEY: scratch.apiKey };
  const backup = await runCapturedCli(backupArgs(source.url, join(work, 'store'), '--json'), env);
  expect(backup.code, backup.stderr).toBe(0);
  const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
  const drill = await runCapturedCli(
    ['drill', '--archive', archive, '--url', scratch.url, '--api-key-env', 'SCRATCH_KEY', '--json'],
    env,
  );
  expect(drill.code, drill.stderr).toBe(0);
  const out = JSON.parse(drill.stdout) as DrillReport & { files: { html: string } };
  report = out;
  html = out.files.html;
});

afterAll(async () => {
  await Promise.all([source?.close(), scratch?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the drill report in headless Chromium', () => {
  it('renders the verdict, the counts per kind and one chart bar per kind (DOM dump)', async () => {
    const run = await chromium(binary, join(work, 'profile-dom'), ['--dump-dom', pathToFileURL(html).href]);

    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const dom = run.stdout;
    expect(dom).toContain('<span id="verdict" class="verdict pass">PASS</span>');
    const row = (kind: string) =>
      new RegExp(
        `<tr data-kind="${kind}"><td>${kind}</td><td class="n in-archive">(\\d+)</td><td class="n restored">(\\d+)</td><td class="n failed">(\\d+)</td></tr>`,
      ).exec(dom);
    expect(row('workflows')?.slice(1)).toEqual(['9', '9', '0']);
    expect(row('dataTableRows')?.slice(1)).toEqual(['120', '120', '0']);
    for (const kind of report.kinds) {
      expect(row(kind.resource)?.slice(1)).toEqual([String(kind.inArchive), String(kind.restored), '0']);
    }
    expect(dom.match(/<rect /g)).toHaveLength(report.perKind.length);
  });

  it('takes a screenshot that holds far more than an empty page of the same size', async () => {
    const shot = join(work, 'report.png');
    const blankHtml = join(work, 'blank.html');
    const blankShot = join(work, 'blank.png');
    await writeFile(blankHtml, '<!doctype html><html><body></body></html>');
    const size = '--window-size=1000,1400';

    const run = await chromium(binary, join(work, 'profile-shot'), [
      size,
      `--screenshot=${shot}`,
      pathToFileURL(html).href,
    ]);
    const blank = await chromium(binary, join(work, 'profile-blank'), [
      size,
      `--screenshot=${blankShot}`,
      pathToFileURL(blankHtml).href,
    ]);

    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(blank.code, blank.stderr.slice(-2000)).toBe(0);
    const png = await readFile(shot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect((await stat(shot)).size).toBeGreaterThan(3 * (await stat(blankShot)).size);
  });

  it('shows a hostile workflow name as text: no element of it reaches the page', async () => {
    const hostile = '<img src=x onerror="document.title=\'pwned\'"><b>Orders</b>';
    const page = join(work, 'hostile.html');
    await writeFile(
      page,
      renderDrillHtml({
        ...report,
        verdict: 'fail',
        reasons: ['the scratch instance differs from the archive in 1 object(s) (see differences)'],
        differences: {
          total: 1,
          listed: [`workflows personal:owner / ${hostile}: only in archive`],
          leftOut: 0,
        },
      }),
    );

    const run = await chromium(binary, join(work, 'profile-hostile'), [
      '--dump-dom',
      pathToFileURL(page).href,
    ]);

    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stdout).not.toMatch(/<img|<b>/);
    expect(run.stdout).not.toContain('pwned</title>');
    expect(run.stdout).toContain(
      '&lt;img src=x onerror="document.title=\'pwned\'"&gt;&lt;b&gt;Orders&lt;/b&gt;',
    );
    expect(run.stdout).toContain('<span id="differences-total">1</span>');
  });
});
