/**
 * Restoring one workflow must not destroy what it pulls in. Into the instance it was backed up from
 * (the disaster-recovery case), where its sub-workflow was edited and its data table got rows after
 * the backup, `restore --workflow Orders --on-conflict overwrite` puts "Orders" back as it was and
 * leaves the sub-workflow and every row exactly as they are; only a selection of their own changes
 * them. `--data-table-rows` decides the rows of chosen tables, and the dry run counts them as the run
 * then writes them. Through the CLI, in process, against the API double.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createN8nClient, type N8nClient } from '../../functions/adapters/n8n/index.js';
import type { WorkflowWrite } from '../../functions/core/n8n-types.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let n8n: N8nDouble;
let api: N8nClient;
let store: string;
let archive: string;
const ids = { orders: '', lookup: '', table: '' };

const ARCHIVE_ROWS = Array.from({ length: 5 }, (_, i) => ({ number: i + 1, total: (i + 1) * 10 }));
const LATER_ROWS = [
  { number: 100, total: 1 },
  { number: 101, total: 2 },
  { number: 102, total: 3 },
];

function workflow(name: string, marker: string, nodes: WorkflowWrite['nodes'] = []): WorkflowWrite {
  return {
    name,
    nodes: [
      {
        name: 'Start',
        type: 'n8n-nodes-base.executeWorkflowTrigger',
        typeVersion: 1.1,
        position: [0, 0],
        parameters: { inputSource: 'passthrough' },
      },
      {
        name: 'Mark',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { value: marker },
      },
      ...nodes,
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  };
}

/** "Orders" calls "Lookup" and reads table "orders"; each Set node says which version it is. */
function orders(marker: string): WorkflowWrite {
  return workflow('Orders', marker, [
    {
      name: 'Call lookup',
      type: 'n8n-nodes-base.executeWorkflow',
      typeVersion: 1.2,
      position: [400, 0],
      parameters: { source: 'database', workflowId: { __rl: true, value: ids.lookup, mode: 'id' } },
    },
    {
      name: 'Read orders',
      type: 'n8n-nodes-base.dataTable',
      typeVersion: 1,
      position: [600, 0],
      parameters: { operation: 'get', dataTableId: { __rl: true, value: ids.table, mode: 'id' } },
    },
  ]);
}

beforeEach(async () => {
  n8n = await startN8nDouble();
  api = createN8nClient({ baseUrl: n8n.url, apiKey: n8n.apiKey });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-selective-'));
  const table = await api.createDataTable({
    name: 'orders',
    columns: [
      { name: 'number', type: 'number' },
      { name: 'total', type: 'number' },
    ],
  });
  ids.table = table.id;
  await api.insertDataTableRows(table.id, ARCHIVE_ROWS);
  ids.lookup = (await api.createWorkflow(workflow('Lookup', 'SUB-v1'))).id;
  ids.orders = (await api.createWorkflow(orders('MAIN-v1'))).id;
  const backup = await runCapturedCli(backupArgs(n8n.url, store, '--json'), { SOURCE_KEY: n8n.apiKey });
  expect(backup.code, backup.stderr).toBe(0);
  archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
  // After the backup: the sub-workflow is edited, the table gets rows, "Orders" is edited.
  await api.updateWorkflow(ids.lookup, workflow('Lookup', 'SUB-v2'));
  await api.insertDataTableRows(table.id, LATER_ROWS);
  await api.updateWorkflow(ids.orders, orders('MAIN-v2'));
});
afterEach(async () => {
  await n8n.close();
  await rm(store, { recursive: true, force: true });
});

const restore = (...flags: string[]) =>
  runCapturedCli(restoreArgs(archive, n8n.url, '--json', ...flags), { TARGET_KEY: n8n.apiKey });

async function markerOf(id: string): Promise<unknown> {
  return (await api.getWorkflow(id)).nodes.find((n) => n.name === 'Mark')?.parameters?.value;
}

async function rows(): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const { number, total } of api.listDataTableRows(ids.table)) all.push({ number, total });
  return all;
}

interface PlanJson {
  created: Record<string, number>;
  updated: Record<string, number>;
  plan: { resource: string; name: string; action: string; reason: string; pulledInBy?: string }[];
}

describe('restoring one workflow into the instance it came from', () => {
  it('overwrites the workflow chosen and leaves its sub-workflow, its table and every row as they are', async () => {
    const dry = await restore('--workflow', 'Orders', '--on-conflict', 'overwrite', '--dry-run');
    const run = await restore('--workflow', 'Orders', '--on-conflict', 'overwrite');

    expect(run.code, run.stderr).toBe(0);
    expect(await markerOf(ids.orders)).toBe('MAIN-v1');
    expect(await markerOf(ids.lookup)).toBe('SUB-v2');
    expect(await rows()).toEqual([...ARCHIVE_ROWS, ...LATER_ROWS]);
    const plan = (JSON.parse(dry.stdout) as PlanJson).plan;
    expect(plan.find((e) => e.name === 'Lookup')).toMatchObject({
      action: 'skip',
      pulledInBy: 'needed by workflow "Orders"',
    });
    expect(plan.find((e) => e.name === 'orders')).toMatchObject({
      action: 'skip',
      pulledInBy: 'needed by workflow "Orders"',
    });
    expect(plan.find((e) => e.name === 'orders')?.reason).toContain(
      "it exists in the target with 8 row(s): skip keeps them, append would add the archive's 5, replace would delete the 8 and write the 5",
    );
    const report = JSON.parse(run.stdout) as { updated: Record<string, number> };
    expect(report.updated).toMatchObject({ workflows: 1, dataTables: 0, dataTableRows: 0 });
  });

  it('overwrites the sub-workflow too when the selection chooses it, still keeping the rows', async () => {
    const run = await restore(
      '--workflow',
      '*',
      '--on-conflict',
      'overwrite',
      '--data-table-rows',
      'replace',
    );

    expect(run.code, run.stderr).toBe(0);
    expect(await markerOf(ids.orders)).toBe('MAIN-v1');
    expect(await markerOf(ids.lookup)).toBe('SUB-v1');
    // The table is only pulled in by the workflows: --data-table-rows applies to tables chosen.
    expect(await rows()).toEqual([...ARCHIVE_ROWS, ...LATER_ROWS]);
  });
});

describe('--data-table-rows on a table chosen (--only dataTables)', () => {
  it.each([
    ['skip', [...ARCHIVE_ROWS, ...LATER_ROWS], { created: 0, updated: 0 }],
    ['append', [...ARCHIVE_ROWS, ...LATER_ROWS, ...ARCHIVE_ROWS], { created: 5, updated: 0 }],
    ['replace', ARCHIVE_ROWS, { created: 0, updated: 5 }],
  ])(
    '%s leaves the rows the plan said, and the dry run counts what the run writes',
    async (choice, expected, counted) => {
      const dry = await restore('--only', 'dataTables', '--data-table-rows', choice, '--dry-run');
      const run = await restore('--only', 'dataTables', '--data-table-rows', choice);

      expect(run.code, run.stderr).toBe(0);
      expect(await rows()).toEqual(expected);
      const planned = JSON.parse(dry.stdout) as PlanJson;
      const report = JSON.parse(run.stdout) as PlanJson;
      const rowCounts = (r: PlanJson) => ({
        created: r.created.dataTableRows,
        updated: r.updated.dataTableRows,
      });
      expect(rowCounts(planned)).toEqual(counted);
      expect(rowCounts(report)).toEqual(counted);
    },
  );
});

describe('a dry run into an empty instance', () => {
  it('counts the rows the run then writes', async () => {
    const empty = await startN8nDouble();
    try {
      const into = (...flags: string[]) =>
        runCapturedCli(restoreArgs(archive, empty.url, '--json', ...flags), { TARGET_KEY: empty.apiKey });

      const dry = JSON.parse((await into('--dry-run')).stdout) as PlanJson;
      const run = await into();

      expect(run.code, run.stderr).toBe(0);
      expect(dry.created.dataTableRows).toBe(5);
      expect((JSON.parse(run.stdout) as PlanJson).created.dataTableRows).toBe(5);
    } finally {
      await empty.close();
    }
  });
});
