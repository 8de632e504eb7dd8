/**
 * `n8n-ark drill` over real HTTP: an archive of one API double restored into a second one (the
 * scratch instance), refused when the scratch is not marked or not empty, wiped only when asked,
 * and its report (JSON and HTML) written beside the archive whatever the verdict.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, runCapturedCli } from './support/run-cli.js';

const MARKER = 'n8n-ark-drill-target';

let source: N8nDouble;
let scratch: N8nDouble;
let store: string;
let env: Record<string, string>;

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  scratch = await startN8nDouble({ licensed: 'all' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-drill-'));
  env = { SOURCE_KEY: source.apiKey, SCRATCH_KEY: scratch.apiKey };
});
afterEach(async () => {
  await Promise.all([source.close(), scratch.close()]);
  await rm(store, { recursive: true, force: true });
});

async function backup(): Promise<string> {
  seedInstance(source.state, { workflows: 12, rowsTotal: 300 });
  const run = await runCapturedCli(backupArgs(source.url, store, '--json'), env);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { archive: string }).archive;
}

const drill = (...flags: string[]) =>
  runCapturedCli(['drill', '--url', scratch.url, '--api-key-env', 'SCRATCH_KEY', ...flags], env);

/** Files beside the archive other than the archive itself. */
async function besideArchive(archive: string): Promise<string[]> {
  return (await readdir(dirname(archive))).filter((name) => !name.endsWith('.zip')).sort();
}

function leftovers(): void {
  const workflow = scratch.state.createWorkflow({
    name: 'left from last week',
    nodes: [
      {
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
    ],
    connections: {},
    settings: {},
  });
  scratch.state.createTag('old-tag');
  scratch.state.createCredential({ name: 'old credential', type: 'httpHeaderAuth' });
  scratch.state.createDataTable({ name: 'old table', columns: [{ name: 'a', type: 'string' }] });
  expect(workflow.id).toBeTruthy();
}

describe('n8n-ark drill', () => {
  it('--help names the drill-target mark and gives examples', async () => {
    const help = await runCapturedCli(['drill', '--help'], {});

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toContain(`"${MARKER}"`);
    expect(help.stdout).toContain('--wipe-scratch');
  });

  it('refuses a scratch instance that is not marked as a drill target, writing nothing', async () => {
    const archive = await backup();
    leftovers();

    const run = await drill('--archive', archive, '--wipe-scratch');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`is not marked as a drill target`);
    expect(run.stderr).toContain(`create a tag named "${MARKER}"`);
    expect(scratch.state.workflows.size).toBe(1);
    expect(scratch.state.credentials.size).toBe(1);
    expect(await besideArchive(archive)).toEqual([]);
  });

  it('refuses a marked scratch instance that is not empty unless --wipe-scratch', async () => {
    const archive = await backup();
    scratch.state.createTag(MARKER);
    leftovers();

    const run = await drill('--archive', archive);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not empty (1 workflows, 1 tags, 1 credentials, 1 dataTables)');
    expect(run.stderr).toContain('--wipe-scratch');
    expect(scratch.state.workflows.size).toBe(1);
    expect(await besideArchive(archive)).toEqual([]);
  });

  it('wipes a marked scratch, restores the newest archive, passes, and writes the report beside it', async () => {
    const archive = await backup();
    scratch.state.createTag(MARKER);
    leftovers();

    const run = await drill(
      '--archive',
      'newest',
      '--store',
      store,
      '--instance',
      'prod',
      '--wipe-scratch',
      '--json',
    );

    expect(run.code, run.stderr + run.stdout).toBe(0);
    const report = JSON.parse(run.stdout) as {
      verdict: string;
      archive: { location: string };
      wiped: Record<string, number>;
      kinds: { resource: string; inArchive: number; restored: number; failed: number }[];
      differences: { total: number; leftOut: number };
      perKind: { kind: string; ms: number }[];
      steps: { step: string }[];
      files: { html: string; json: string };
    };
    expect(report.verdict).toBe('pass');
    expect(report.archive.location).toBe(archive);
    expect(report.wiped).toEqual({ workflows: 1, tags: 1, credentials: 1, dataTables: 1 });
    const workflows = report.kinds.find((k) => k.resource === 'workflows');
    expect(workflows).toEqual({ resource: 'workflows', inArchive: 12, restored: 12, failed: 0 });
    expect(report.kinds.find((k) => k.resource === 'dataTableRows')?.restored).toBe(300);
    expect(report.differences.total).toBe(0);
    // The seeded users are not in the scratch: their personal projects and memberships are left out, and said so.
    expect(report.differences.leftOut).toBeGreaterThan(0);
    expect(report.perKind.map((k) => k.kind)).toContain('workflows');
    expect(report.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining([
        'wipe scratch',
        'verify archive',
        'plan',
        'workflows',
        'closing check',
        'diff',
      ]),
    );
    const names = [...scratch.state.workflows.values()].map((w) => w.name);
    expect(names).not.toContain('left from last week');
    expect(scratch.state.tagByName(MARKER)).toBeDefined();
    expect(scratch.state.tagByName('old-tag')).toBeUndefined();

    const base = archive.replace(/\.zip$/, '');
    expect(report.files.html.startsWith(`${base}.drill-`)).toBe(true);
    expect(report.files.html.endsWith('.html')).toBe(true);
    expect(JSON.parse(await readFile(report.files.json, 'utf8'))).toMatchObject({ verdict: 'pass' });
    const html = await readFile(report.files.html, 'utf8');
    expect(html).toContain('PASS');
    expect(html).toContain('<svg id="chart"');
    expect(html).not.toMatch(/<(script|link)\b|src="http/);
    expect((await stat(report.files.html)).mode & 0o777).toBe(0o600);
  });

  it('fails (exit 1) when the scratch instance cannot hold what the archive holds, and still writes the report', async () => {
    const archive = await backup();
    await scratch.close();
    scratch = await startN8nDouble({ licensed: [] });
    env.SCRATCH_KEY = scratch.apiKey;
    scratch.state.createTag(MARKER);

    const run = await drill('--archive', archive);

    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('the drill failed: the scratch instance differs from the archive');
    expect(run.stdout).toContain('FAIL');
    const files = await besideArchive(archive);
    expect(files.filter((f) => f.endsWith('.html'))).toHaveLength(1);
    const json = files.find((f) => f.endsWith('.json')) ?? '';
    const report = JSON.parse(await readFile(join(dirname(archive), json), 'utf8')) as {
      verdict: string;
      differences: { total: number; listed: string[] };
      kinds: { resource: string; inArchive: number; restored: number }[];
    };
    expect(report.verdict).toBe('fail');
    expect(report.differences.listed.join('\n')).toContain('variables');
    // The table counts what the scratch holds: nothing of what its licence keeps from it.
    const counts = (resource: string) => report.kinds.find((k) => k.resource === resource);
    expect(counts('variables')).toMatchObject({ inArchive: 4, restored: 0 });
    expect(counts('workflows')).toMatchObject({ inArchive: 12, restored: 12 });
  });
});
