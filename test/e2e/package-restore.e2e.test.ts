/**
 * Restoring into an empty real n8n 2.41.1 through n8n's package import: the workflows a package
 * carries exactly go in packages (n8n keeps the archive id as their `sourceWorkflowId`), the others
 * (a sub-workflow call, pinned data) by POST /workflows, and `diff` finds the target
 * equal to the archive. A key without `workflow:import` restores the same archive by POST alone.
 * Both restores' durations are printed (500 small workflows), not asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, publicApi, publicApiList } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';

const SIMPLE = 500;

interface Wf {
  id: string;
  name: string;
  sourceWorkflowId?: string | null;
}

let source: RealN8n;
let byPackage: RealN8n;
let byPost: RealN8n;
let postKey: string;
let store: string;
let archive: string;

function simple(name: string, index: number) {
  return {
    name,
    nodes: [
      {
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        name: 'Set',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [220, 0],
        parameters: {
          assignments: {
            assignments: [{ id: `a${index}`, name: 'index', value: `=${index}`, type: 'string' }],
          },
          options: {},
        },
      },
    ],
    connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

async function seedSource(n8n: RealN8n): Promise<void> {
  for (let i = 0; i < SIMPLE; i += 8)
    await Promise.all(
      Array.from({ length: Math.min(8, SIMPLE - i) }, (_, j) =>
        publicApi(n8n, 'POST', '/workflows', simple(`Simple ${String(i + j).padStart(4, '0')}`, i + j)),
      ),
    );
  const callee = await publicApi<Wf>(n8n, 'POST', '/workflows', simple('Callee', -1));
  const caller = simple('Caller', -2);
  caller.nodes.push({
    name: 'Call',
    type: 'n8n-nodes-base.executeWorkflow',
    typeVersion: 1.2,
    position: [440, 0],
    parameters: { workflowId: { __rl: true, value: callee.id, mode: 'id' } } as never,
  });
  await publicApi(n8n, 'POST', '/workflows', caller);
  await publicApi(n8n, 'POST', '/workflows', {
    ...simple('Pinned', -3),
    pinData: { Start: [{ json: { pinned: true } }] },
  });
  const described = await publicApi<Wf>(n8n, 'POST', '/workflows', simple('Described', -4));
  await publicApi(n8n, 'PUT', `/workflows/${described.id}`, {
    ...simple('Described', -4),
    description: 'written after the import, by PUT',
  });
}

/** Each workflow as GET /workflows/{id} shows it: the list leaves out `sourceWorkflowId`. */
async function allWorkflows(n8n: RealN8n): Promise<Wf[]> {
  const listed = await listWorkflows(n8n);
  const found: Wf[] = [];
  for (let i = 0; i < listed.length; i += 8)
    found.push(
      ...(await Promise.all(
        listed.slice(i, i + 8).map((w) => publicApi<Wf>(n8n, 'GET', `/workflows/${w.id}`)),
      )),
    );
  return found;
}

const listWorkflows = (n8n: RealN8n) => publicApiList<Wf>(n8n, '/workflows?limit=250&excludePinnedData=true');

async function restoreAndDiff(target: RealN8n, key: string): Promise<{ ms: number; notes: string[] }> {
  const env = { ARK_E2E_KEY: key };
  const conn = ['--url', target.url, '--api-key-env', 'ARK_E2E_KEY'];
  const started = Date.now();
  const restore = await cli(['restore', archive, ...conn, '--json'], env);
  const ms = Date.now() - started;
  expect(restore.code, restore.stderr).toBe(0);
  const report = JSON.parse(restore.stdout) as {
    complete: boolean;
    durationMs: number;
    warnings: { code: string; message: string }[];
  };
  expect(report.complete).toBe(true);
  const diff = await cli(['diff', archive, ...conn], env);
  expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  const notes = report.warnings.filter((w) => w.code === 'note').map((w) => w.message);
  console.log(`restore into ${target.name}: ${ms} ms in all, ${report.durationMs} ms by its report`);
  return { ms, notes };
}

beforeAll(async () => {
  [source, byPackage, byPost] = await Promise.all([startN8n('src'), startN8n('pkg'), startN8n('post')]);
  postKey = await byPost.createApiKey(
    byPost.allScopes.filter((s) => s !== 'workflow:import'),
    'no workflow:import',
  );
  await seedSource(source);
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-package-'));
  const backup = await cli(
    [
      'backup',
      '--url',
      source.url,
      '--api-key-env',
      'ARK_E2E_KEY',
      '--store',
      store,
      '--instance',
      'src',
      '--json',
    ],
    { ARK_E2E_KEY: source.apiKey },
  );
  expect(backup.code, backup.stderr).toBe(0);
  archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
}, 600_000);

afterAll(async () => {
  await Promise.all([source?.stop(), byPackage?.stop(), byPost?.stop()]);
  if (store) await rm(store, { recursive: true, force: true });
});

describe('restoring through package import into real n8n', () => {
  it('imports what a package carries, posts the rest, and diff finds nothing', async () => {
    await restoreAndDiff(byPackage, byPackage.apiKey);

    const restored = await allWorkflows(byPackage);
    const sourceIds = new Map((await listWorkflows(source)).map((w) => [w.name, w.id]));
    const packaged = restored.filter((w) => w.sourceWorkflowId).map((w) => w.name);
    expect(restored).toHaveLength(SIMPLE + 4);
    // The package id is the archive id; calls and pinned data went by POST.
    for (const w of restored.filter((x) => x.sourceWorkflowId))
      expect(w.sourceWorkflowId).toBe(sourceIds.get(w.name));
    expect(packaged.sort()).toEqual(
      [...restored.map((w) => w.name).filter((n) => !['Caller', 'Pinned'].includes(n))].sort(),
    );
  }, 600_000);

  it('restores the same archive by POST alone with a key lacking workflow:import, and says why', async () => {
    const { notes } = await restoreAndDiff(byPost, postKey);

    const restored = await allWorkflows(byPost);
    expect(restored).toHaveLength(SIMPLE + 4);
    expect(restored.filter((w) => w.sourceWorkflowId)).toEqual([]);
    expect(notes).toContain(
      "Workflows were created one POST /workflows each, not by n8n's package import (faster): the API key lacks the workflow:import scope.",
    );
  }, 600_000);
});
