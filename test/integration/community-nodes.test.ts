/**
 * Community node types through the CLI over real HTTP: the source double has a community package and
 * a published workflow using its node; the target double lacks it. The double answers GET/POST
 * /community-packages, the package-import probe and "Unrecognized node type" as n8n 2.41.1 does
 * (the contract suite checks both against real n8n).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import type { StoredCommunityPackage } from '../double/routes/community-packages.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

const DATASTORE: StoredCommunityPackage = {
  packageName: 'n8n-nodes-datastore',
  installedVersion: '0.1.18',
  installedNodes: [{ name: 'Datastore', type: 'n8n-nodes-datastore.datastore', latestVersion: 1 }],
};

let source: N8nDouble;
let target: N8nDouble;
let store: string;

beforeEach(async () => {
  [source, target] = await Promise.all([startN8nDouble(), startN8nDouble()]);
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-community-'));
});
afterEach(async () => {
  await Promise.all([source.close(), target.close()]);
  await rm(store, { recursive: true, force: true });
});

async function sourceArchive(): Promise<string> {
  source.state.community.communityPackages.push(structuredClone(DATASTORE));
  const api = createN8nClient({ baseUrl: source.url, apiKey: source.apiKey });
  const workflow = await api.createWorkflow({
    name: 'Stores things',
    nodes: [
      {
        name: 'Every hour',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 1 }] } },
      },
      {
        name: 'Store',
        type: 'n8n-nodes-datastore.datastore',
        typeVersion: 1,
        position: [200, 0],
        parameters: {},
      },
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  });
  await api.publishWorkflow(workflow.id);
  const backup = await runCapturedCli(backupArgs(source.url, store, '--json'), { SOURCE_KEY: source.apiKey });
  expect(backup.code, backup.stderr).toBe(0);
  return (JSON.parse(backup.stdout) as { archive: string }).archive;
}

const restore = (archive: string, ...flags: string[]) =>
  runCapturedCli(restoreArgs(archive, target.url, ...flags), { TARGET_KEY: target.apiKey });

const targetWorkflows = () =>
  [...target.state.workflows.values()].map((w) => [w.name, w.activeVersionId !== null]);

describe('n8n-ark restore of workflows using community nodes', () => {
  it('names the missing type and the package to install in a dry run, writing nothing', async () => {
    const archive = await sourceArchive();

    const run = await restore(archive, '--dry-run');

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'warning: workflow "Stores things" uses node types the target does not have: n8n-nodes-datastore.datastore (version 1)',
    );
    expect(run.stdout).toMatch(
      /note: Install these community packages on the target .*: n8n-nodes-datastore@0\.1\.18\./,
    );
    expect(target.state.workflows.size).toBe(0);
    expect(target.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /n8n-packages/import',
    ]);
  });

  it('writes the workflow unpublished and exits 6 naming it, then publishes it once the package is there', async () => {
    const archive = await sourceArchive();

    const first = await restore(archive, '--json');
    const afterFirst = targetWorkflows();
    target.state.community.communityPackages.push(structuredClone(DATASTORE));
    const second = await restore(archive, '--json');

    expect(first.code).toBe(6);
    expect(first.stdout).toContain('written but not published: the target lacks its node types');
    expect(afterFirst).toEqual([['Stores things', false]]);
    expect(second.code, second.stderr).toBe(0);
    expect(targetWorkflows()).toEqual([['Stores things', true]]);
  });

  it('with --install-community-packages, stops before any write when n8n will not vet the package', async () => {
    const archive = await sourceArchive();

    const run = await restore(archive, '--install-community-packages');

    expect(run.code).toBe(6);
    expect(run.stderr).toContain('Package n8n-nodes-datastore is not vetted for installation');
    expect(target.state.workflows.size).toBe(0);
  });

  it('with --unverified-community-packages too, installs the archive version first and publishes', async () => {
    const archive = await sourceArchive();
    target.state.community.npmRegistry.push(structuredClone(DATASTORE));

    const run = await restore(archive, '--install-community-packages', '--unverified-community-packages');

    expect(run.code, run.stderr).toBe(0);
    const writes = target.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(writes.slice(0, 2)).toEqual(['POST /n8n-packages/import', 'POST /community-packages']);
    expect(target.state.community.communityPackages.map((p) => p.installedVersion)).toEqual(['0.1.18']);
    expect(targetWorkflows()).toEqual([['Stores things', true]]);
  });
});
