/** Planning data tables: matched by name in the project they land in; overwrite compares rows. */
import { createHash } from 'node:crypto';
import { stableStringify } from '../../json.js';
import type { DataTable, DataTableRow } from '../../n8n-types.js';
import { renamedName } from '../../restore/conflict-policy.js';
import { TargetMatcher } from '../../restore/matching.js';
import type { PlanContext } from '../kind.js';
import { archiveRows, columnsOf, dataTableKey, rowContent } from './rows.js';

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
  const existing = matcher.find(dataTableKey(ctx.sourcePlace(table.projectId), table.name));
  if (!existing) {
    if (selected) ctx.add({ ...base, action: 'create', reason: 'not in the target' });
    return;
  }
  matcher.claim(existing);
  const matched = { ...base, targetId: existing.id };
  if (!selected) return ctx.add({ ...matched, action: 'skip', reason: 'not selected; matched by name' });
  if (ctx.onConflict === 'skip')
    return ctx.add({
      ...matched,
      action: 'skip',
      reason: "a data table of that name exists; kept the target's (--on-conflict skip)",
    });
  if (ctx.onConflict === 'rename') {
    const renameTo = renamedName(table.name, (n) => takenNames.has(n));
    takenNames.add(renameTo);
    return ctx.add({
      ...base,
      action: 'create',
      renameTo,
      reason: `a data table of that name exists; created as "${renameTo}" (--on-conflict rename)`,
    });
  }
  if (columnsOf(existing) !== columnsOf(table))
    return ctx.add({
      ...matched,
      action: 'conflict',
      reason: `a data table of that name exists with other columns (${columnsOf(existing)} vs ${columnsOf(table)}); overwrite replaces rows only (use --on-conflict rename)`,
    });
  if (await sameRows(ctx, table.id, existing.id))
    return ctx.add({ ...matched, action: 'skip', reason: 'identical data table exists' });
  ctx.add({
    ...matched,
    action: 'update',
    reason: "its rows differ; replaced by the archive's (--on-conflict overwrite)",
  });
}

async function sameRows(ctx: PlanContext, sourceTableId: string, targetTableId: string): Promise<boolean> {
  const digest = async (rows: AsyncIterable<DataTableRow>) => {
    const hash = createHash('sha256');
    for await (const row of rows) hash.update(`${stableStringify(rowContent(row))}\n`);
    return hash.digest('hex');
  };
  return (
    (await digest(archiveRows(ctx.archive, sourceTableId))) ===
    (await digest(ctx.api.listDataTableRows(targetTableId)))
  );
}
