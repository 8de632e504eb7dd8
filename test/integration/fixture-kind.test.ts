/**
 * A kind is one file and one line: a fixture kind (support/fixture-kind.ts, the community packages
 * an instance has installed) joins KINDS here, as one more line in the list would, and the CLI —
 * run in process against the API double — backs it up, verifies it, inspects it, restores it,
 * checks it after the restore and diffs it, with no other change to n8n-ark's code.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredCommunityPackage } from '../double/routes/community-packages.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { unzipEntries, zipEntries } from './support/archive-mutants.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';
import { freshTargetFor } from './support/targets.js';

vi.mock('../../functions/core/kinds/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../functions/core/kinds/index.js')>();
  const { kindLists } = await import('../../functions/core/kinds/shared/kind-lists.js');
  const { communityPackagesKind } = await import('./support/fixture-kind.js');
  // The one line: the fixture joins the list before workflows (workflows use packages).
  const KINDS = [...real.KINDS.slice(0, -1), communityPackagesKind, ...real.KINDS.slice(-1)];
  return { ...real, KINDS, ...kindLists(KINDS) };
});

const PACKAGE: StoredCommunityPackage = {
  packageName: 'n8n-nodes-fixture',
  installedVersion: '1.2.0',
  installedNodes: [{ name: 'Fixture', type: 'n8n-nodes-fixture.fixture', latestVersion: 1 }],
};

let source: N8nDouble;
let store: string;
const targets: N8nDouble[] = [];

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all', idSeed: 11 });
  source.state.community.communityPackages.push(structuredClone(PACKAGE));
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-fixture-kind-'));
});

afterEach(async () => {
  await Promise.all([source.close(), ...targets.splice(0).map((t) => t.close())]);
  await rm(store, { recursive: true, force: true });
});

/** An empty target whose npm registry has the package (an unverified install fetches it from there). */
async function target(): Promise<N8nDouble> {
  const fresh = await freshTargetFor(source, 12);
  fresh.state.community.npmRegistry.push(structuredClone(PACKAGE));
  targets.push(fresh);
  return fresh;
}

async function backup(): Promise<string> {
  const run = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { archive: string }).archive;
}

interface RestoreJson {
  complete: boolean;
  created: Record<string, number>;
  idMap: Record<string, Record<string, string>>;
  warnings: { code: string; message: string }[];
}

describe('a fixture kind added to KINDS with one line', () => {
  it('is backed up into its own entry, verified, and inspected by name', async () => {
    const archive = await backup();

    const manifest = JSON.parse((await runCapturedCli(['inspect', archive, '--json'], {})).stdout) as {
      counts: Record<string, number>;
      entries: { name: string; resource: string }[];
    };
    const verify = await runCapturedCli(['verify', archive], {});
    const contents = await runCapturedCli(['inspect', archive, '--contents', '--json'], {});

    expect(manifest.counts.communityPackages).toBe(1);
    expect(manifest.entries).toContainEqual(
      expect.objectContaining({ name: 'community-packages.ndjson', resource: 'communityPackages' }),
    );
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect((JSON.parse(contents.stdout) as Record<string, unknown>).communityPackages).toEqual([
      { id: 'n8n-nodes-fixture', name: 'n8n-nodes-fixture', version: '1.2.0' },
    ]);
  });

  it('may be missing from an archive written before n8n-ark recorded it, and from no later one', async () => {
    // Prepare: the archive without the kind's entry, as a writer from before `recordedSince` left it
    const archive = await backup();
    const entries = (await unzipEntries(await readFile(archive))).filter(
      ([name]) => name !== 'community-packages.ndjson',
    );
    const manifest = JSON.parse(String(entries.find(([name]) => name === 'manifest.json')?.[1])) as {
      tool: { version: string };
      entries: { resource: string }[];
      counts: Record<string, number>;
    };
    manifest.entries = manifest.entries.filter((e) => e.resource !== 'communityPackages');
    delete manifest.counts.communityPackages;
    const written = async (version: string) => {
      manifest.tool.version = version;
      const path = join(store, `written-by-${version}.zip`);
      await writeFile(
        path,
        await zipEntries(
          entries.map(([name, bytes]) => [
            name,
            name === 'manifest.json' ? Buffer.from(JSON.stringify(manifest)) : bytes,
          ]),
        ),
      );
      return path;
    };

    // Act
    const older = await runCapturedCli(['verify', await written('0.0.9')], {});
    const current = await runCapturedCli(['verify', await written('0.1.0')], {});

    // Assess
    expect(older.code, older.stdout).toBe(0);
    expect(current.code).toBe(4);
    expect(current.stdout).toContain(
      'manifest.json: the archive has no communityPackages entry and the manifest does not say why',
    );
  });

  it('is restored into a target that lacks it, and the diff then finds the two sides equal', async () => {
    const archive = await backup();
    const into = await target();

    const run = await runCapturedCli(restoreArgs(archive, into.url, '--json'), { TARGET_KEY: into.apiKey });
    const diff = await runCapturedCli(
      ['diff', archive, '--url', into.url, '--api-key-env', 'TARGET_KEY', '--json'],
      { TARGET_KEY: into.apiKey },
    );

    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RestoreJson;
    expect(report.created.communityPackages).toBe(1);
    expect(report.idMap.communityPackages).toEqual({ 'n8n-nodes-fixture': 'n8n-nodes-fixture' });
    expect(into.state.community.communityPackages.map((p) => [p.packageName, p.installedVersion])).toEqual([
      ['n8n-nodes-fixture', '1.2.0'],
    ]);
    expect(diff.code, diff.stdout).toBe(0);
    const compared = JSON.parse(diff.stdout) as { equal: boolean; compared: Record<string, object> };
    expect(compared.compared.communityPackages).toEqual({ a: 1, b: 1 });
  });

  it('a diff names it where the target has another version', async () => {
    const archive = await backup();
    const into = await target();
    into.state.community.communityPackages.push({ ...structuredClone(PACKAGE), installedVersion: '2.0.0' });

    const diff = await runCapturedCli(
      ['diff', archive, '--url', into.url, '--api-key-env', 'TARGET_KEY', '--json'],
      { TARGET_KEY: into.apiKey },
    );

    const result = JSON.parse(diff.stdout) as { differences: { resource: string; key: string }[] };
    expect(result.differences).toEqual([
      expect.objectContaining({ resource: 'communityPackages', key: 'n8n-nodes-fixture', change: 'changed' }),
    ]);
  });

  it("the restore's closing check fails it by name when the target does not hold it after its install", async () => {
    const archive = await backup();
    const into = await target();
    // An n8n that answers the install but never lists the package (as if it failed to load it).
    into.state.community.communityPackages.push = () => into.state.community.communityPackages.length;

    const run = await runCapturedCli(restoreArgs(archive, into.url, '--json'), { TARGET_KEY: into.apiKey });

    expect(run.code).toBe(6);
    const report = JSON.parse(run.stdout) as RestoreJson;
    expect(report.complete).toBe(false);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({
        code: 'missing-after-restore',
        message: expect.stringContaining('communityPackages "n8n-nodes-fixture" is not in the target'),
      }),
    );
  });
});
