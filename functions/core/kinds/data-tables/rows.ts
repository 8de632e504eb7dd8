/** Data-table rows: read from the archive in chunk order, written in batches. */
import type { OpenedArchive } from '../../archive/format.js';
import { AmbiguousWriteError, N8nApiError, RestoreError } from '../../errors.js';
import type { DataTable, DataTableRow } from '../../n8n-types.js';
import type { ApplyContext } from '../kind.js';

/** How the rows of a table are named in the archive: chunks of `rowsPerChunk`, numbered from 0. */
export const ROWS_ENTRY = (tableId: string, chunk: number): string =>
  `data-tables/${tableId}/rows-${String(chunk).padStart(6, '0')}.ndjson`;

/** The natural key: `<place> / <name>`. */
export function dataTableKey(place: string, name: string): string {
  return `${place} / ${name}`;
}

/** A row without what the server assigns (id, timestamps). */
export function rowContent(row: DataTableRow): DataTableRow {
  const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, ...content } = row;
  return content;
}

export function columnsOf(table: DataTable): string {
  return [...table.columns]
    .sort((a, b) => a.index - b.index)
    .map((c) => `${c.name}:${c.type}`)
    .join(', ');
}

/** The rows the archive holds for a table, from the manifest (no entry is read). */
export function archiveRowCount(archive: OpenedArchive, tableId: string): number {
  return archive
    .entriesOf('dataTableRows')
    .filter((e) => e.dataTableId === tableId)
    .reduce((sum, e) => sum + e.records, 0);
}

/** A table's rows in the archive, chunk after chunk in name order. */
export async function* archiveRows(archive: OpenedArchive, tableId: string): AsyncGenerator<DataTableRow> {
  const chunksOfTable = archive
    .entriesOf('dataTableRows')
    .filter((e) => e.dataTableId === tableId)
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const chunk of chunksOfTable) yield* archive.records<DataTableRow>(chunk.name);
}

export async function restoreRows(ctx: ApplyContext): Promise<void> {
  const entries = ctx.entries('dataTables').filter((e) => e.action === 'create' || e.action === 'update');
  for (const entry of entries) {
    const targetId = ctx.ledger.targetId('dataTables', entry.sourceId);
    if (!targetId || ctx.hasFailed(entry) || ctx.ledger.isMarked('dataTableRows', entry.sourceId)) continue;
    ctx.checkDeadline();
    // A table with a row n8n refuses for its size keeps none of its rows: refused up front, by name.
    const oversized = (ctx.plan.bodyLimit?.oversized ?? []).filter((r) => r.dataTableId === entry.sourceId);
    if (oversized.length > 0) {
      ctx.fail(
        'dataTableRows',
        entry,
        'restoring its rows',
        rowsTooLarge(oversized, ctx.plan.bodyLimit?.accepts ?? 0),
      );
      continue;
    }
    const hasRows = ctx.deps.archive.entriesOf('dataTableRows').some((e) => e.dataTableId === entry.sourceId);
    const startedBefore = ctx.ledger.isMarked('dataTableRows', `started:${entry.sourceId}`);
    // An update replaces the rows unless the plan says append (ledgers before --data-table-rows say neither).
    const append = entry.action === 'update' && entry.rows?.mode === 'append';
    await ctx.attempt('dataTableRows', entry, 'restoring its rows', async () => {
      const inserted = append
        ? await appendRows(ctx, entry.sourceId, targetId, entry.rows?.target ?? 0, startedBefore)
        : await fill(ctx, entry.sourceId, targetId, {
            clearFirst: entry.action === 'update' || startedBefore,
            hasRows,
          });
      if (hasRows)
        ctx.ledger.count(
          entry.action === 'update' && !append ? 'updated' : 'created',
          'dataTableRows',
          inserted,
        );
      if (entry.action === 'update') ctx.ledger.count('updated', 'dataTables');
    });
    ctx.ledger.mark('dataTableRows', entry.sourceId);
    await ctx.ledger.checkpoint();
  }
}

/**
 * The most JSON one insert request carries. n8n 2.41 sets no row count on POST /data-tables/{id}/rows
 * (its DTO is an unbounded array; the rows go into one transaction, 800 values per SQL statement):
 * what bounds a batch is the body, refused above N8N_PAYLOAD_SIZE_MAX (16 MiB by default) with a 413
 * and a closed connection. A quarter of that keeps a batch's memory small beside the 200 MB target
 * and leaves room for an instance whose limit was lowered.
 */
export const ROW_BATCH_MAX_BYTES = 4 * 1024 * 1024;

/** Fills of one table begun again after a lost batch answer a count could not settle, before the table fails. */
const FILL_ATTEMPTS = 3;

/**
 * Rows get new ids, so a partly filled table cannot be continued row by row: it is emptied and
 * filled again, after an interrupted run and after a batch whose answer never came and whose effect a
 * count of the rows could not tell (see {@link insertBatch}), so no row is ever there twice or missing.
 */
async function fill(
  ctx: ApplyContext,
  sourceTableId: string,
  targetId: string,
  { clearFirst, hasRows }: { clearFirst: boolean; hasRows: boolean },
): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    if (clearFirst || attempt > 1) await ctx.api.clearDataTableRows(targetId);
    if (!hasRows) return 0;
    ctx.ledger.mark('dataTableRows', `started:${sourceTableId}`);
    await ctx.ledger.save();
    try {
      return await insertAll(ctx, sourceTableId, targetId);
    } catch (error) {
      if (!(error instanceof AmbiguousWriteError) || attempt >= FILL_ATTEMPTS) throw error;
    }
  }
}

/**
 * Adds the archive's rows after the `before` rows the target table held when planned; the target's
 * own rows are never deleted. An append that was interrupted, or whose batch answer was lost in a
 * way a count could not settle, goes on after the rows the count shows it added, since rows land in
 * order a batch at a time. A count that fits no such point (the table changed meanwhile) fails the
 * table, naming the counts, rather than guess.
 */
async function appendRows(
  ctx: ApplyContext,
  sourceTableId: string,
  targetId: string,
  before: number,
  startedBefore: boolean,
): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const done = startedBefore || attempt > 1 ? (await countRows(ctx, targetId)) - before : 0;
    const total = archiveRowCount(ctx.deps.archive, sourceTableId);
    if (done < 0 || done > total) throw changedWhileAppending(before, done, total);
    ctx.ledger.mark('dataTableRows', `started:${sourceTableId}`);
    await ctx.ledger.save();
    try {
      return done + (await insertAll(ctx, sourceTableId, targetId, { skip: done, before: before + done }));
    } catch (error) {
      if (!(error instanceof AmbiguousWriteError) || attempt >= FILL_ATTEMPTS) throw error;
    }
  }
}

async function insertAll(
  ctx: ApplyContext,
  sourceTableId: string,
  targetId: string,
  { skip, before }: { skip: number; before: number } = { skip: 0, before: 0 },
): Promise<number> {
  const contents = async function* () {
    let index = 0;
    for await (const row of archiveRows(ctx.deps.archive, sourceTableId))
      if (index++ >= skip) yield rowContent(row);
  };
  let inserted = 0;
  // Within the target's payload limit where the plan learnt it (restore/body-limit.ts).
  const maxBytes = Math.min(ROW_BATCH_MAX_BYTES, ctx.plan.bodyLimit?.accepts ?? ROW_BATCH_MAX_BYTES);
  for await (const list of rowBatches(contents(), ctx.rowBatchSize, maxBytes)) {
    ctx.checkDeadline();
    inserted += await insertWithinLimit(ctx, targetId, list, before + inserted);
    ctx.deps.progress.advance('dataTableRows', list.length);
  }
  return inserted;
}

/**
 * Inserts a batch; one n8n refuses as too large (413: refused before it was read, so nothing of it
 * landed) goes again in halves, down to a single row, whose refusal stands.
 */
async function insertWithinLimit(
  ctx: ApplyContext,
  targetId: string,
  batch: DataTableRow[],
  before: number,
): Promise<number> {
  try {
    return await insertBatch(ctx, targetId, batch, before);
  } catch (error) {
    if (!(error instanceof N8nApiError && error.status === 413) || batch.length === 1) throw error;
    const half = Math.ceil(batch.length / 2);
    const first = await insertWithinLimit(ctx, targetId, batch.slice(0, half), before);
    return first + (await insertWithinLimit(ctx, targetId, batch.slice(half), before + first));
  }
}

/**
 * Consecutive batches of at most `maxRows` rows whose request body (`{"data":[…],"returnType":"count"}`)
 * stays within `maxBytes`; a row larger than that alone goes alone (n8n answers for it).
 */
export async function* rowBatches(
  rows: AsyncIterable<DataTableRow>,
  maxRows: number,
  maxBytes: number,
): AsyncGenerator<DataTableRow[]> {
  const envelope = Buffer.byteLength('{"data":[],"returnType":"count"}');
  let batch: DataTableRow[] = [];
  let bytes = envelope;
  for await (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (batch.length > 0 && (batch.length >= maxRows || bytes + size > maxBytes)) {
      yield batch;
      batch = [];
      bytes = envelope;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** Times one batch is sent again after its answer was lost and a count showed it did not land. */
const BATCH_RESENDS = 3;

/**
 * Inserts one batch into a table holding exactly `before` rows (the fill started on an empty table).
 * When the answer is lost the table's rows are counted: `before + batch` means n8n inserted it, `before`
 * that it did not (it is sent again); any other count throws, and the fill starts over. Without this a
 * lost answer to any batch emptied and refilled the whole table, so a fill of many batches rarely got
 * through at a few per cent of lost answers (seen on real n8n behind the fault proxy at 10 %).
 */
async function insertBatch(
  ctx: ApplyContext,
  targetId: string,
  batch: DataTableRow[],
  before: number,
): Promise<number> {
  for (let resend = 0; ; resend += 1) {
    try {
      return await ctx.api.insertDataTableRows(targetId, batch);
    } catch (error) {
      if (!(error instanceof AmbiguousWriteError) || resend >= BATCH_RESENDS) throw error;
      const now = await countRows(ctx, targetId);
      if (now === before + batch.length) return batch.length;
      if (now !== before) throw error;
    }
  }
}

async function countRows(ctx: ApplyContext, tableId: string): Promise<number> {
  let count = 0;
  for await (const _ of ctx.api.listDataTableRows(tableId)) count += 1;
  return count;
}

function rowsTooLarge(
  rows: readonly { entry: string; line: number; bytes: number }[],
  accepts: number,
): RestoreError {
  const named = rows.slice(0, 5).map((r) => `${r.entry} line ${r.line} (${r.bytes} bytes)`);
  return new RestoreError(
    `${rows.length} row(s) are past the target's payload limit of ${accepts} bytes (${named.join(', ')}${rows.length > 5 ? ', …' : ''}); none of the table's rows were written: raise N8N_PAYLOAD_SIZE_MAX and run the same command again`,
  );
}

function changedWhileAppending(before: number, done: number, total: number): RestoreError {
  return new RestoreError(
    `the table holds ${before + done} rows where an append of ${total} to its ${before} could leave ${before} to ${before + total}: it changed while the restore appended; check it, then restore it with --data-table-rows replace or skip`,
  );
}
