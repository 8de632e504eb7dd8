/**
 * Data tables and their rows: a table is its name in its project. Rows get new ids in the target,
 * so a table is filled whole (emptied first when an interrupted fill is resumed or on overwrite).
 */

import { z } from 'zod';
import type { DataTable } from '../../n8n-types.js';
import type { N8nApi } from '../../ports.js';
import type { ApplyContext, Kind } from '../kind.js';
import { id, jsonObject, text } from '../kind.js';
import { Adoption } from '../shared/adoption.js';
import { planDataTables } from './plan.js';
import { dataTableKey, restoreRows } from './rows.js';

export { dataTableKey, rowContent } from './rows.js';

async function createTables(ctx: ApplyContext, resumed: boolean): Promise<void> {
  const entries = ctx.entries('dataTables').filter((e) => e.action === 'create');
  if (entries.length === 0) return;
  const sources = await ctx.sourceRecords<DataTable>('dataTables');
  // Without a project id a table lands in the key owner's personal project, whose id the API does not tell: "*".
  const adoption = new Adoption(
    ctx.ledger,
    'dataTables',
    {
      list: () => ctx.api.listDataTables(),
      keys: (t) => [dataTableKey(t.projectId ?? '', t.name), dataTableKey('*', t.name)],
    },
    resumed,
  );
  for (const entry of entries) {
    if (
      ctx.ledger.targetId('dataTables', entry.sourceId) ||
      ctx.ledger.isMarked('dataTables', entry.sourceId)
    )
      continue;
    ctx.checkDeadline();
    const table = sources.get(entry.sourceId);
    if (!table || ctx.failIfProjectMissing('dataTables', entry)) continue;
    const name = entry.renameTo ?? table.name;
    const projectId = ctx.targetProject(entry);
    const columns = [...table.columns]
      .sort((a, b) => a.index - b.index)
      .map((c) => ({ name: c.name, type: c.type }));
    await ctx.attempt('dataTables', entry, 'creating the data table', async () => {
      const id = await adoption.createOrAdopt(
        dataTableKey(projectId ?? '*', name),
        async () =>
          (await ctx.api.createDataTable({ name, columns, ...(projectId ? { projectId } : {}) })).id,
      );
      ctx.ledger.recordId('dataTables', entry.sourceId, id);
      ctx.ledger.count('created', 'dataTables');
    });
    await ctx.ledger.checkpoint();
  }
}

export const dataTablesKind = {
  resource: 'dataTables',
  restored: true,
  records: {
    dataTables: z.looseObject({
      id,
      name: text,
      projectId: z.string().optional(),
      columns: z.array(z.looseObject({ name: text, type: text, index: z.number() })),
    }),
    dataTableRows: jsonObject,
  },
  list: (api: N8nApi) => api.listDataTables(),
  restoreScopes: ['dataTable:list', 'dataTable:create', 'dataTableRow:create'],
  alsoCounted: ['dataTableRows'],
  plan: planDataTables,
  steps: [
    { name: 'dataTables', run: createTables },
    { name: 'dataTableRows', run: (ctx) => restoreRows(ctx) },
  ],
} as const satisfies Kind<'dataTables', 'dataTables' | 'dataTableRows'>;
