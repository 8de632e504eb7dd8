/**
 * Planning data tables: matched by name in the project they land in. A table the target has keeps
 * its rows unless --data-table-rows asks to append or replace them, and only when the selection
 * chose it: one pulled in by a workflow is created when missing, never changed. The plan says, per
 * existing table, what each choice would do with its rows.
 */
import { createHash } from 'node:crypto';
import { stableStringify } from '../../json.js';
import type { DataTable, DataTableRow } from '../../n8n-types.js';
import type { PlanContext, PlanEntry } from '../kind.js';
import { renamedName } from '../shared/conflict-policy.js';
import { TargetMatcher } from '../shared/matching.js';
import type { PlannedRows } from './detail.js';
import { archiveRowCount, archiveRows, columnsOf, dataTableKey, rowContent } from './rows.js';

export async function planDataTables(ctx: PlanContext): Promise<void> {
  const tables = ctx.source.dataTables.filter(
    (t) => ctx.isSelected('dataTables', t.id) || ctx.isMatchable('dataTables'),
  );
  if (tables.length === 0) return;
  if (!ctx.target.dataTables) {
    ctx.note(`The target cannot take data tables (${ctx.target.unavailable.get('dataTables')}).`);
    for (const t of tables)
      if (ctx.isSelected('dataTables', t.id))
        ctx.add({
          resource: 'dataTables',
          sourceId: t.id,
          name: t.name,
          action: 'skip',
          reason: 'target cannot take data tables',
        });
    return;
  }
  const matcher = new TargetMatcher(ctx.target.dataTables, (t) =>
    ctx.targetPlaces(t.projectId).map((place) => dataTableKey(place, t.name)),
  );
  const takenNames = new Set(ctx.target.dataTables.map((t) => t.name));
  for (const table of tables) await planOne(ctx, table, matcher, takenNames);
}

async function planOne(
  ctx: PlanContext,
  table: DataTable,
  matcher: TargetMatcher<DataTable>,
  takenNames: Set<string>,
): Promise<void> {
  const selected = ctx.isSelected('dataTables', table.id);
  const base = {
    resource: 'dataTables' as const,
    sourceId: table.id,
    name: table.name,
    ...(table.projectId ? { sourceProjectId: table.projectId } : {}),
    ...ctx.pulledInBy('dataTables', table.id),
  };
  const archive = archiveRowCount(ctx.archive, table.id);
  const existing = matcher.find(dataTableKey(ctx.sourcePlace(table.projectId), table.name));
  if (!existing) {
    if (selected) ctx.add({ ...base, rows: { archive }, action: 'create', reason: 'not in the target' });
    return;
  }
  matcher.claim(existing);
  if (!selected)
    return ctx.add({
      ...base,
      targetId: existing.id,
      action: 'skip',
      reason: 'not selected; matched by name',
    });
  if (ctx.conflictPolicy('dataTables', table.id) === 'rename') {
    const renameTo = renamedName(table.name, (n) => takenNames.has(n));
    takenNames.add(renameTo);
    return ctx.add({
      ...base,
      rows: { archive },
      action: 'create',
      renameTo,
      reason: `a data table of that name exists; created as "${renameTo}" (--on-conflict rename)`,
    });
  }
  ctx.add(await planExisting(ctx, { ...base, targetId: existing.id }, table, existing, archive));
}

/** A selected table the target has: what --data-table-rows does with its rows, the counts said. */
async function planExisting(
  ctx: PlanContext,
  matched: Omit<PlanEntry, 'action' | 'reason'> & { targetId: string },
  table: DataTable,
  existing: DataTable,
  archive: number,
): Promise<PlanEntry> {
  const policy = matched.pulledInBy ? 'skip' : (ctx.options.conflicts?.dataTableRows ?? 'skip');
  const target = await readTargetRows(ctx, existing.id);
  const rows: PlannedRows = { archive, target: target.count };
  const choices = `it exists in the target with ${rowChoices(rows)}`;
  const entry = (action: PlanEntry['action'], reason: string, mode?: PlannedRows['mode']): PlanEntry => ({
    ...matched,
    rows: mode ? { ...rows, mode } : rows,
    action,
    reason: `${choices}; ${reason}`,
  });
  if (matched.pulledInBy)
    return entry(
      'skip',
      'kept as it is with its rows: a data table pulled in is only created when missing (select it, e.g. with --project or --only dataTables, for --data-table-rows to apply)',
    );
  if (policy === 'skip')
    return entry(
      'skip',
      `kept its rows (--data-table-rows skip${ctx.onConflict === 'overwrite' ? '; --on-conflict overwrite does not change rows' : ''})`,
    );
  if (columnsOf(existing) !== columnsOf(table))
    return entry(
      'conflict',
      `its columns differ (${columnsOf(existing)} vs ${columnsOf(table)}), so it cannot take the archive's rows (use --on-conflict rename, or --data-table-rows skip)`,
    );
  if (archive === 0 && policy === 'append')
    return entry('skip', 'the archive has no rows for it to add (--data-table-rows append)');
  if (policy === 'replace' && target.digest === (await archiveDigest(ctx, matched.sourceId)))
    return entry('skip', "its rows are the archive's already (--data-table-rows replace)");
  return policy === 'append'
    ? entry('update', `adds the archive's ${count(archive)} (--data-table-rows append)`, 'append')
    : entry(
        'update',
        `deletes its ${count(target.count)} and writes the archive's ${count(archive)} (--data-table-rows replace)`,
        'replace',
      );
}

/** `5,012 rows: skip keeps them, append would add the archive's 5,000, replace would delete the 5,012 and write the 5,000`. */
export function rowChoices({ archive, target = 0 }: PlannedRows): string {
  return `${count(target)} row(s): skip keeps them, append would add the archive's ${count(archive)}, replace would delete the ${count(target)} and write the ${count(archive)}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function rowsDigest(): { add(row: DataTableRow): void; digest(): string } {
  const hash = createHash('sha256');
  return {
    add: (row) => hash.update(`${stableStringify(rowContent(row))}\n`),
    digest: () => hash.digest('hex'),
  };
}

/** The target table's rows counted, and their content's digest, in one read. */
async function readTargetRows(ctx: PlanContext, tableId: string): Promise<{ count: number; digest: string }> {
  const digest = rowsDigest();
  let rows = 0;
  for await (const row of ctx.api.listDataTableRows(tableId)) {
    digest.add(row);
    rows += 1;
  }
  return { count: rows, digest: digest.digest() };
}

async function archiveDigest(ctx: PlanContext, sourceTableId: string): Promise<string> {
  const digest = rowsDigest();
  for await (const row of archiveRows(ctx.archive, sourceTableId)) digest.add(row);
  return digest.digest();
}
