/**
 * Data tables and their rows: a table is its name in its project. Rows get new ids in the target,
 * so a table is filled whole (emptied first when an interrupted fill is resumed or on overwrite).
 */

import { z } from 'zod';
import type { InstanceNames } from '../../instance/identity.js';
import type { DataTable, DataTableRow } from '../../n8n-types.js';
import type { ListingPosition, N8nApi, N8nDataTablesApi, N8nScratchApi } from '../../ports.js';
import type {
  ApplyContext,
  ArchiveReference,
  ContentNames,
  DiffRecord,
  Kind,
  KindDetail,
  Need,
  PlanEntry,
  PlannedCount,
} from '../kind.js';
import { id, jsonObject, text } from '../kind.js';
import { Adoption } from '../shared/adoption.js';
import { columnsProblem } from './columns.js';
import type { DataTableEntryDetail } from './detail.js';
import { planDataTables } from './plan.js';
import { archiveRowCount, dataTableKey, ROWS_ENTRY, restoreRows, rowContent } from './rows.js';

export type { DataTableEntryDetail, PlannedRows } from './detail.js';
export { dataTableKey, rowContent } from './rows.js';

async function createTables(ctx: ApplyContext): Promise<void> {
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
    ctx.resumed,
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

const detail: KindDetail<DataTableEntryDetail> = { ofTarget: [] };

/** The rows a table's entry writes, counted as the run counts them (an append creates rows). */
function rowsWritten(entry: PlanEntry): PlannedCount | undefined {
  if (entry.resource !== 'dataTables' || !entry.rows?.archive) return undefined;
  const count = entry.rows.archive;
  if (entry.action === 'create') return { resource: 'dataTableRows', bucket: 'created', count };
  if (entry.action !== 'update') return undefined;
  return { resource: 'dataTableRows', bucket: entry.rows.mode === 'append' ? 'created' : 'updated', count };
}

/** A table is its name in its project's natural key; rows are compared by streaming (by its id). */
function* indexForDiff(tables: readonly DataTable[], names: InstanceNames): Iterable<DiffRecord> {
  for (const table of tables) {
    names.dataTables.set(table.id, table.name);
    const project = table.projectId ? (names.projects.get(table.projectId) ?? null) : null;
    yield {
      key: dataTableKey(project ?? '-', table.name),
      id: table.id,
      canonical: {
        name: table.name,
        project,
        columns: [...table.columns].sort((x, y) => x.index - y.index).map((c) => `${c.name}:${c.type}`),
      },
    };
  }
}

export const dataTablesKind = {
  resource: 'dataTables',
  restored: true,
  entries: {
    dataTables: {
      name: 'data-tables.ndjson',
      record: z.looseObject({
        id,
        name: text,
        projectId: z.string().optional(),
        columns: z.array(z.looseObject({ name: text, type: text, index: z.number() })),
      }),
      // n8n keeps a table's name unique in its project (a unique index on name and project).
      naturalKey: (table: DataTable) => ({
        key: dataTableKey(table.projectId ?? '', table.name),
        what: `data table name ${JSON.stringify(table.name)}${table.projectId ? ` in project ${table.projectId}` : ''}`,
      }),
      problemOf: columnsProblem,
      references: (table: DataTable): ArchiveReference[] =>
        table.projectId
          ? [
              {
                resource: 'projects',
                id: table.projectId,
                problem: `data table ${table.id} belongs to project ${table.projectId}, which is not in the archive`,
              },
            ]
          : [],
    },
    dataTableRows: {
      name: ROWS_ENTRY,
      record: jsonObject,
      readFor: (api: N8nApi, tableId: string, from?: ListingPosition) => api.listDataTableRows(tableId, from),
      // A row alone in an insert: the least body it can go in.
      bodyBytes: (row: DataTableRow) =>
        Buffer.byteLength(JSON.stringify({ data: [rowContent(row)], returnType: 'count' })),
    },
  },
  list: (api: N8nDataTablesApi) => api.listDataTables(),
  backup: { projectsOf: (table: DataTable) => (table.projectId ? [table.projectId] : []) },
  restoreScopes: ['dataTable:list', 'dataTable:create', 'dataTableRow:create'],
  alsoCounted: ['dataTableRows'],
  selection: {
    chosenWithProject: (table: DataTable) => table.projectId,
    needs: (table: DataTable): Need[] =>
      table.projectId
        ? [{ resource: 'projects', id: table.projectId, why: `owns data table "${table.name}"` }]
        : [],
  },
  plan: planDataTables,
  detail,
  steps: [
    { name: 'dataTables', run: createTables },
    { name: 'dataTableRows', run: (ctx) => restoreRows(ctx) },
  ],
  closingCheckNames: true,
  plannedCounts: rowsWritten,
  diff: { index: indexForDiff },
  contents: {
    projectOf: (table: DataTable) => table.projectId,
    row: (table: DataTable, names: ContentNames) => ({
      id: table.id,
      name: table.name,
      project: names.project(table.projectId),
      columns: table.columns.length,
      rows: archiveRowCount(names.archive, table.id),
    }),
  },
  scratch: {
    wipe: (api: N8nScratchApi, table: DataTable) => api.deleteDataTable(table.id),
    wipeScopes: ['dataTable:delete'],
  },
} as const satisfies Kind<'dataTables', 'dataTables' | 'dataTableRows'>;
