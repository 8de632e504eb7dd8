/**
 * Community node types against real n8n 2.41.1 (community edition, SQLite, loopback): a source
 * workflow using a node type no package on the target provides is named by the restore's plan, by
 * workflow, and the plan's probe of the target writes nothing there. The built CLI runs as a child
 * process, as an operator runs it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicApi as api, cli } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';

const SENTINEL = 'n8n-nodes-ark-sentinel.thing';

const conn = (n8n: RealN8n) => ['--url', n8n.url, '--api-key-env', 'ARK_E2E_KEY'];
const keyEnv = (n8n: RealN8n) => ({ ARK_E2E_KEY: n8n.apiKey });
const workflowNames = async (n8n: RealN8n) =>
  (await api<{ data: { name: string }[] }>(n8n, 'GET', '/workflows?limit=250')).data
    .map((w) => w.name)
    .sort();

const trigger = {
  name: 'Every hour',
  type: 'n8n-nodes-base.scheduleTrigger',
  typeVersion: 1.2,
  position: [0, 0],
  parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 1 }] } },
};

let source: RealN8n;
let target: RealN8n;
let store: string;
let archive: string;

beforeAll(async () => {
  // A loaded machine (other suites start n8n too) can take minutes to bring two instances up.
  [source, target] = await Promise.all([
    startN8n('community-src', { readinessTimeoutMs: 400_000 }),
    startN8n('community-dst', { readinessTimeoutMs: 400_000 }),
  ]);
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-community-'));
  // n8n saves a workflow whatever node types it uses; only publishing refuses an unknown one.
  await api(source, 'POST', '/workflows', {
    name: 'Uses a community node',
    nodes: [trigger, { name: 'Thing', type: SENTINEL, typeVersion: 1, position: [200, 0], parameters: {} }],
    connections: {},
    settings: { executionOrder: 'v1' },
  });
  // A built-in node at a version no n8n has: only the probe (real n8n checks versions) can tell.
  await api(source, 'POST', '/workflows', {
    name: 'Uses a future node version',
    nodes: [
      trigger,
      { name: 'Later', type: 'n8n-nodes-base.noOp', typeVersion: 99, position: [200, 0], parameters: {} },
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  });
  const plain = await api<{ id: string }>(source, 'POST', '/workflows', {
    name: 'Built-in nodes only',
    nodes: [trigger],
    connections: {},
    settings: { executionOrder: 'v1' },
  });
  await api(source, 'POST', `/workflows/${plain.id}/publish`, {});
  // The target has one workflow of its own, so its version can be learnt as well.
  await api(target, 'POST', '/workflows', {
    name: 'Already on the target',
    nodes: [trigger],
    connections: {},
    settings: { executionOrder: 'v1' },
  });
}, 600_000);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (store) await rm(store, { recursive: true, force: true });
});

describe('community node types on real n8n', () => {
  it("records the source's community packages (none installed) without skipping them", async () => {
    const run = await cli(
      ['backup', ...conn(source), '--store', store, '--instance', 'src', '--json'],
      keyEnv(source),
    );

    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { archive: string; skipped: { resource: string }[] };
    archive = out.archive;
    expect(out.skipped.map((s) => s.resource)).not.toContain('communityPackages');
    const inspect = await cli(['inspect', archive, '--json'], {});
    expect(JSON.parse(inspect.stdout)).toMatchObject({ communityPackages: [] });
  });

  it('names the missing node types (community, and a built-in version) by workflow in a dry run, writing nothing', async () => {
    const before = await workflowNames(target);

    const run = await cli(['restore', archive, ...conn(target), '--dry-run', '--json'], keyEnv(target));

    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      warnings: { code: string; workflow?: { name: string }; message: string }[];
    };
    const missing = out.warnings.filter((w) => w.code === 'missing-node-types');
    expect(missing.map((w) => w.workflow?.name).sort()).toEqual([
      'Uses a community node',
      'Uses a future node version',
    ]);
    expect(missing.find((w) => w.workflow?.name === 'Uses a community node')?.message).toContain(
      `${SENTINEL} (version 1)`,
    );
    expect(missing.find((w) => w.workflow?.name === 'Uses a future node version')?.message).toContain(
      'n8n-nodes-base.noOp (version 99)',
    );
    // --json carries the plan's notes among the warnings, as code "note".
    const notes = out.warnings
      .filter((w) => w.code === 'note')
      .map((w) => w.message)
      .join('\n');
    expect(notes).toContain(`No community package in the archive provides ${SENTINEL}`);
    expect(notes).toContain(
      'The target does not know the built-in node type n8n-nodes-base.noOp at version 99',
    );
    // The probe answered: nothing says the check fell back to the inventory.
    expect(notes).not.toContain('were not checked');
    expect(notes).not.toContain('could not be checked');
    expect(await workflowNames(target)).toEqual(before);
  });

  it('writes those workflows unpublished and publishes the other, exit 0 (they were not published at the source)', async () => {
    const run = await cli(['restore', archive, ...conn(target), '--json'], keyEnv(target));

    expect(run.code, run.stderr).toBe(0);
    const listed = (
      await api<{ data: { name: string; active: boolean }[] }>(target, 'GET', '/workflows?limit=250')
    ).data.map((w) => [w.name, w.active]);
    expect(listed.sort()).toEqual([
      ['Already on the target', false],
      ['Built-in nodes only', true],
      ['Uses a community node', false],
      ['Uses a future node version', false],
    ]);
  });
});
