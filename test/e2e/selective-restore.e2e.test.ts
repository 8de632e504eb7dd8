/**
 * Restoring one workflow on real n8n 2.41.1 leaves what it pulls in as it is. In the instance it was
 * backed up from, its sub-workflow is edited and its data table gets rows after the backup;
 * `restore --workflow Orders --on-conflict overwrite` puts "Orders" back and leaves the sub-workflow
 * and every row untouched. `--data-table-rows append|replace` on a chosen table does what the dry
 * run said, row for row. The built CLI runs as a child process, as an operator runs it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';

async function call<T>(n8n: RealN8n, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${n8n.url}/api/v1${path}`, {
    method,
    headers: { 'X-N8N-API-KEY': n8n.apiKey, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const ARCHIVE_ROWS = Array.from({ length: 5 }, (_, i) => ({ number: i + 1, total: (i + 1) * 10 }));
const LATER_ROWS = [
  { number: 100, total: 1 },
  { number: 101, total: 2 },
  { number: 102, total: 3 },
];

let n8n: RealN8n;
let store: string;
let archive: string;
const ids = { table: '', lookup: '', orders: '' };

/** A workflow whose "Mark" node's notes say which version it is, with `nodes` after it. */
function workflow(name: string, marker: string, nodes: unknown[] = []) {
  return {
    name,
    nodes: [
      {
        id: randomUUID(),
        name: 'When called',
        type: 'n8n-nodes-base.executeWorkflowTrigger',
        typeVersion: 1.1,
        position: [0, 0],
        parameters: { inputSource: 'passthrough' },
      },
      {
        id: randomUUID(),
        name: 'Mark',
        type: 'n8n-nodes-base.noOp',
        typeVersion: 1,
        position: [200, 0],
        parameters: {},
        notes: marker,
      },
      ...nodes,
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  };
}

function orders(marker: string) {
  return workflow('Orders', marker, [
    {
      id: randomUUID(),
      name: 'Call lookup',
      type: 'n8n-nodes-base.executeWorkflow',
      typeVersion: 1.2,
      position: [400, 0],
      parameters: { workflowId: { __rl: true, value: ids.lookup, mode: 'id' }, options: {} },
    },
    {
      id: randomUUID(),
      name: 'Read orders',
      type: 'n8n-nodes-base.dataTable',
      typeVersion: 1,
      position: [600, 0],
      parameters: { operation: 'get', dataTableId: { __rl: true, value: ids.table, mode: 'id' } },
    },
  ]);
}

const insertRows = (rows: unknown[]) =>
  call(n8n, 'POST', `/data-tables/${ids.table}/rows`, { data: rows, returnType: 'count' });

async function rows(): Promise<{ number: unknown; total: unknown }[]> {
  const page = await call<{ data: { id: number; number: unknown; total: unknown }[] }>(
    n8n,
    'GET',
    `/data-tables/${ids.table}/rows?limit=250`,
  );
  return page.data.sort((a, b) => a.id - b.id).map(({ number, total }) => ({ number, total }));
}

async function markerOf(id: string): Promise<unknown> {
  const found = await call<{ nodes: { name: string; notes?: string }[] }>(n8n, 'GET', `/workflows/${id}`);
  return found.nodes.find((node) => node.name === 'Mark')?.notes;
}

/** `restore --json` of the archive into this n8n with its own ledger; then `flags`. */
async function restore(ledger: string, ...flags: string[]) {
  const run = await cli(
    [
      'restore',
      archive,
      '--url',
      n8n.url,
      '--api-key-env',
      'ARK_E2E_KEY',
      '--json',
      '--ledger',
      join(store, ledger),
      ...flags,
    ],
    { ARK_E2E_KEY: n8n.apiKey },
  );
  return {
    ...run,
    json: JSON.parse(run.stdout || '{}') as Record<string, Record<string, number>> & { plan?: unknown[] },
  };
}

beforeAll(async () => {
  n8n = await startN8n('selective', { readinessTimeoutMs: 240_000 });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-selective-'));
  const table = await call<{ id: string }>(n8n, 'POST', '/data-tables', {
    name: 'orders',
    columns: [
      { name: 'number', type: 'number' },
      { name: 'total', type: 'number' },
    ],
  });
  ids.table = table.id;
  await insertRows(ARCHIVE_ROWS);
  ids.lookup = (await call<{ id: string }>(n8n, 'POST', '/workflows', workflow('Lookup', 'SUB-v1'))).id;
  ids.orders = (await call<{ id: string }>(n8n, 'POST', '/workflows', orders('MAIN-v1'))).id;
  const backup = await cli(
    [
      'backup',
      '--url',
      n8n.url,
      '--api-key-env',
      'ARK_E2E_KEY',
      '--store',
      store,
      '--instance',
      'prod',
      '--json',
    ],
    { ARK_E2E_KEY: n8n.apiKey },
  );
  expect(backup.code, backup.stderr).toBe(0);
  archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
  // After the backup: the sub-workflow is edited, the table gets rows, "Orders" is edited.
  await call(n8n, 'PUT', `/workflows/${ids.lookup}`, workflow('Lookup', 'SUB-v2'));
  await insertRows(LATER_ROWS);
  await call(n8n, 'PUT', `/workflows/${ids.orders}`, orders('MAIN-v2'));
});

afterAll(async () => {
  await n8n?.stop();
  if (store) await rm(store, { recursive: true, force: true });
});

describe('restoring one workflow into real n8n', () => {
  it('overwrites the workflow chosen and leaves its sub-workflow and every row of its table as they are', async () => {
    const run = await restore('one.ledger.json', '--workflow', 'Orders', '--on-conflict', 'overwrite');

    expect(run.code, run.stderr).toBe(0);
    expect(await markerOf(ids.orders)).toBe('MAIN-v1');
    expect(await markerOf(ids.lookup)).toBe('SUB-v2');
    expect(await rows()).toEqual([...ARCHIVE_ROWS, ...LATER_ROWS]);
    expect(run.json.updated).toMatchObject({ workflows: 1, dataTables: 0, dataTableRows: 0 });
  });

  it('appends, then replaces, the rows of a chosen table as the dry run said', async () => {
    const dryAppend = await restore(
      'append.ledger.json',
      '--only',
      'dataTables',
      '--data-table-rows',
      'append',
      '--dry-run',
    );
    const append = await restore('append.ledger.json', '--only', 'dataTables', '--data-table-rows', 'append');
    const afterAppend = await rows();
    const dryReplace = await restore(
      'replace.ledger.json',
      '--only',
      'dataTables',
      '--data-table-rows',
      'replace',
      '--dry-run',
    );
    const replace = await restore(
      'replace.ledger.json',
      '--only',
      'dataTables',
      '--data-table-rows',
      'replace',
    );

    expect(append.code, append.stderr).toBe(0);
    expect(afterAppend).toEqual([...ARCHIVE_ROWS, ...LATER_ROWS, ...ARCHIVE_ROWS]);
    expect(dryAppend.json.created?.dataTableRows).toBe(5);
    expect(append.json.created?.dataTableRows).toBe(5);
    expect(replace.code, replace.stderr).toBe(0);
    expect(await rows()).toEqual(ARCHIVE_ROWS);
    expect(dryReplace.json.updated?.dataTableRows).toBe(5);
    expect(replace.json.updated?.dataTableRows).toBe(5);
    expect(JSON.stringify(dryReplace.json.plan)).toContain(
      "it exists in the target with 13 row(s): skip keeps them, append would add the archive's 5, replace would delete the 13 and write the 5",
    );
  });
});
