import { describe, expect, it } from 'vitest';
import { AmbiguousWriteError } from '../../../functions/core/errors.js';
import { dataTablesKind } from '../../../functions/core/kinds/data-tables/index.js';
import { rowBatches } from '../../../functions/core/kinds/data-tables/rows.js';
import type { DataTableRow, DataTableWrite } from '../../../functions/core/n8n-types.js';
import { RestoreLedger } from '../../../functions/core/restore/ledger.js';
import type { PlanOptions } from '../../../functions/core/restore/types.js';
import { InjectedCrash, type MemoryN8n } from '../fakes/memory-n8n.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';
import { applyStep, clock, newLedger, planKind, writesTo } from './support.js';

const [createStep, rowsStep] = dataTablesKind.steps;
const ORDER_COLUMNS: DataTableWrite['columns'] = [
  { name: 'number', type: 'number' },
  { name: 'total', type: 'number' },
];
const sourceOrders = Array.from({ length: 7 }, (_, i) => ({ number: i + 1, total: (i + 1) * 10 }));

function rowsOf(target: MemoryN8n, name: string) {
  const table = target.dataTables.find((t) => t.name === name);
  return (target.rows.get(table?.id ?? '') ?? []).map(({ number, total }) => ({ number, total }));
}

async function planOrders(
  options: PlanOptions,
  targetOrders: { columns?: DataTableWrite['columns']; rows: DataTableRow[] },
) {
  const target = emptyTarget();
  target.seedDataTable('orders', targetOrders.columns ?? ORDER_COLUMNS, targetOrders.rows);
  const planned = await planKind(dataTablesKind, seededSource(), target, options);
  return { target, planned, orders: planned.entries.find((e) => e.name === 'orders') };
}

describe('planning data tables', () => {
  it('matches a table by name in the project it lands in, not a namesake elsewhere', async () => {
    const target = emptyTarget();
    target.seedProject('Ops');
    const namesake = target.seedDataTable('customers', [{ name: 'email', type: 'string' }], []);

    const planned = await planKind(dataTablesKind, seededSource(), target);

    expect(planned.entries.find((e) => e.name === 'customers')).toMatchObject({ action: 'create' });
    expect(planned.entries.some((e) => e.targetId === namesake.id)).toBe(false);
  });

  const twoRows = [
    { number: 98, total: 1 },
    { number: 99, total: 2 },
  ];
  const choices =
    "it exists in the target with 2 row(s): skip keeps them, append would add the archive's 7, replace would delete the 2 and write the 7";

  it.each<[PlanOptions, string]>([
    [{}, `${choices}; kept its rows (--data-table-rows skip)`],
    [
      { conflicts: { onConflict: 'overwrite' } },
      `${choices}; kept its rows (--data-table-rows skip; --on-conflict overwrite does not change rows)`,
    ],
  ])(
    'keeps the rows of a table the target has by default (%j), saying what each choice would do',
    async (options, reason) => {
      const { orders } = await planOrders(options, { rows: twoRows });

      expect(orders).toMatchObject({ action: 'skip', reason, rows: { archive: 7, target: 2 } });
    },
  );

  type TargetOrders = Parameters<typeof planOrders>[1];
  it.each<[string, NonNullable<PlanOptions['conflicts']>['dataTableRows'], TargetOrders, string, string]>([
    [
      'skips a table whose rows are the same',
      'replace',
      { rows: sourceOrders },
      'skip',
      "its rows are the archive's already",
    ],
    [
      'replaces the rows of a table whose rows differ',
      'replace',
      { rows: twoRows },
      'update',
      "deletes its 2 and writes the archive's 7 (--data-table-rows replace)",
    ],
    [
      'appends to a table',
      'append',
      { rows: twoRows },
      'update',
      "adds the archive's 7 (--data-table-rows append)",
    ],
    [
      'reports a table with other columns as a conflict',
      'replace',
      { columns: [{ name: 'number', type: 'string' }], rows: [] },
      'conflict',
      'its columns differ',
    ],
  ])('with --data-table-rows %s… %s', async (_behaviour, dataTableRows, targetOrders, action, reason) => {
    const { orders } = await planOrders({ conflicts: { dataTableRows } }, targetOrders);

    expect(orders?.action).toBe(action);
    expect(orders?.reason).toContain(reason);
  });

  it('creates a renamed copy beside the matched table under rename', async () => {
    const { target, planned } = await planOrders({ conflicts: { onConflict: 'rename' } }, { rows: [] });

    const ledger = await applyStep(createStep, planned);
    await applyStep(rowsStep, planned, { ledger });

    expect(target.dataTables.map((t) => t.name).sort()).toEqual(['customers', 'orders', 'orders (restored)']);
    expect(rowsOf(target, 'orders (restored)')).toEqual(sourceOrders);
    expect(rowsOf(target, 'orders')).toEqual([]);
  });
});

describe('restoring data tables and their rows', () => {
  it("replaces a table's rows with the archive's under --data-table-rows replace", async () => {
    const { target, planned } = await planOrders(
      { conflicts: { dataTableRows: 'replace' } },
      { rows: [{ number: 99, total: 1 }] },
    );

    const ledger = await applyStep(rowsStep, planned);

    expect(rowsOf(target, 'orders')).toEqual(sourceOrders);
    expect(ledger.state.updated).toMatchObject({ dataTables: 1, dataTableRows: 7 });
  });

  it("adds the archive's rows after the target's under --data-table-rows append, deleting none", async () => {
    const kept = [{ number: 99, total: 1 }];
    const { target, planned } = await planOrders({ conflicts: { dataTableRows: 'append' } }, { rows: kept });

    const ledger = await applyStep(rowsStep, planned, { run: { rowBatchSize: 3 } });

    expect(rowsOf(target, 'orders')).toEqual([...kept, ...sourceOrders]);
    expect(target.writes.filter((w) => w.endsWith('/rows/clear'))).toEqual([]);
    expect(ledger.state.created.dataTableRows).toBe(7);
    expect(ledger.state.updated.dataTables).toBe(1);
  });

  it("goes on after the rows an interrupted append added, keeping the target's and adding none twice", async () => {
    const kept = [{ number: 99, total: 1 }];
    const { target, planned } = await planOrders({ conflicts: { dataTableRows: 'append' } }, { rows: kept });
    const store = new InMemoryLedgerStore();
    const first = await applyStep(createStep, planned, { ledger: newLedger(planned, store) });
    // The new table "customers" takes two batches of 2; the append's second batch crashes.
    target.crashAtWrite = target.writes.length + 4;
    await expect(applyStep(rowsStep, planned, { ledger: first, run: { rowBatchSize: 2 } })).rejects.toThrow(
      InjectedCrash,
    );
    expect(rowsOf(target, 'orders')).toEqual([...kept, ...sourceOrders.slice(0, 2)]);
    const saved = { archiveDigest: planned.plan.archive.digest, target: planned.plan.target.url };

    const resumed = await RestoreLedger.load(store, clock, saved);
    if (!resumed) throw new Error('the interrupted run saved no ledger');
    await applyStep(rowsStep, planned, { ledger: resumed, run: { rowBatchSize: 2 }, resumed: true });

    expect(rowsOf(target, 'orders')).toEqual([...kept, ...sourceOrders]);
    expect(target.writes.filter((w) => w.endsWith('/rows/clear'))).toEqual([]);
  });

  it('creates each table in the project it lands in and inserts its rows in batches of rowBatchSize', async () => {
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    const planned = await planKind(dataTablesKind, seededSource(), target);

    const ledger = await applyStep(createStep, planned);
    await applyStep(rowsStep, planned, { ledger, run: { rowBatchSize: 3 } });

    const customers = target.dataTables.find((t) => t.name === 'customers');
    expect(customers?.projectId).toBe(ops.id);
    expect(customers?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['email:string', 'vip:boolean']);
    const orders = target.dataTables.find((t) => t.name === 'orders');
    expect(writesTo(target, `POST /data-tables/${orders?.id}/rows`)).toHaveLength(3);
    expect(rowsOf(target, 'orders')).toEqual(sourceOrders);
  });

  it('empties and refills a table whose fill was interrupted, leaving no duplicate rows', async () => {
    const target = emptyTarget();
    const planned = await planKind(dataTablesKind, seededSource(), target);
    const store = new InMemoryLedgerStore();
    const first = await applyStep(createStep, planned, { ledger: newLedger(planned, store) });
    target.crashAtWrite = target.writes.length + 2;
    await expect(applyStep(rowsStep, planned, { ledger: first, run: { rowBatchSize: 2 } })).rejects.toThrow(
      InjectedCrash,
    );
    const saved = { archiveDigest: planned.plan.archive.digest, target: planned.plan.target.url };

    const resumed = await RestoreLedger.load(store, clock, saved);
    if (!resumed) throw new Error('the interrupted run saved no ledger');
    await applyStep(rowsStep, planned, { ledger: resumed, run: { rowBatchSize: 2 }, resumed: true });

    const customers = target.dataTables.find((t) => t.name === 'customers');
    expect(writesTo(target, `DELETE /data-tables/${customers?.id}/rows/clear`)).toHaveLength(1);
    expect(target.rows.get(customers?.id ?? '')?.map((r) => r.email)).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    expect(rowsOf(target, 'orders')).toEqual(sourceOrders);
  });

  it.each([
    ['after n8n inserted it', true],
    ['before it reached n8n', false],
  ])(
    'counts the rows after a batch whose answer was lost %s, and neither empties the table nor inserts twice',
    async (_when, applied) => {
      const target = emptyTarget();
      const planned = await planKind(dataTablesKind, seededSource(), target);
      const ledger = await applyStep(createStep, planned);
      const insert = target.insertDataTableRows.bind(target);
      let calls = 0;
      target.insertDataTableRows = async (id, rows) => {
        calls += 1;
        if (calls !== 3) return insert(id, rows);
        if (applied) await insert(id, rows);
        throw new AmbiguousWriteError('the answer was lost', {
          method: 'POST',
          path: `/data-tables/${id}/rows`,
        });
      };

      const after = await applyStep(rowsStep, planned, { ledger, run: { rowBatchSize: 2 } });

      const orders = target.dataTables.find((t) => t.name === 'orders');
      expect(rowsOf(target, 'orders')).toEqual(sourceOrders);
      expect(target.writes.filter((w) => w.endsWith('/rows/clear'))).toEqual([]);
      expect(writesTo(target, `POST /data-tables/${orders?.id}/rows`)).toHaveLength(4);
      expect(after.state.created.dataTableRows).toBe(10);
      expect(after.state.failed.dataTables ?? 0).toBe(0);
    },
  );

  it.each([
    ['listing the target when resumed', true],
    ["n8n's 409 on the name", false],
  ])('adopts the table an interrupted run created, found by %s', async (_how, resumed) => {
    const target = emptyTarget();
    const planned = await planKind(dataTablesKind, seededSource(), target);
    const first = await applyStep(createStep, planned);

    const ledger = await applyStep(createStep, planned, { resumed });

    expect(writesTo(target, 'POST /data-tables')).toHaveLength(2);
    expect(ledger.idMap('dataTables')).toEqual(first.idMap('dataTables'));
    expect(ledger.state.failed.dataTables).toBe(0);
  });
});

describe('batching rows for insert requests', () => {
  const body = (rows: DataTableRow[]) =>
    Buffer.byteLength(JSON.stringify({ data: rows, returnType: 'count' }));
  async function batchesOf(rows: DataTableRow[], maxRows: number, maxBytes: number) {
    const source = async function* () {
      yield* rows;
    };
    const batches: DataTableRow[][] = [];
    for await (const batch of rowBatches(source(), maxRows, maxBytes)) batches.push(batch);
    return batches;
  }

  it('fills each request up to the row count or the body size, whichever comes first, in order', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      email: `${'x'.repeat(i % 7)}${i}@example.com`,
      n: i,
    }));
    const maxBytes = 400;

    const batches = await batchesOf(rows, 10, maxBytes);

    expect(batches.flat()).toEqual(rows);
    for (const [i, batch] of batches.entries()) {
      expect(batch.length).toBeLessThanOrEqual(10);
      expect(body(batch)).toBeLessThanOrEqual(maxBytes);
      const next = batches[i + 1]?.[0];
      // Each batch is as large as the limits allow: one more row would break one of them.
      if (next) expect(batch.length === 10 || body([...batch, next]) > maxBytes).toBe(true);
    }
    expect(batches.some((b) => b.length < 10)).toBe(true);
  });

  it('sends a row larger than the body limit alone rather than dropping it', async () => {
    const huge = { email: 'y'.repeat(1000) };
    const rows = [{ email: 'a' }, huge, { email: 'b' }];

    const batches = await batchesOf(rows, 100, 200);

    expect(batches).toEqual([[{ email: 'a' }], [huge], [{ email: 'b' }]]);
  });
});
