/**
 * Data-table rows read by id, not by offset. n8n lists a table's rows `ORDER BY id` and pages them
 * by offset behind its cursor, so rows deleted before the read position move the later ones back
 * and the next page starts past rows never sent (measured on a busy Postgres-backed n8n 2.41.1:
 * docs/REAL-N8N-FINDINGS.md, "Busy instances"). Here each page after the first is asked for with
 * n8n's row filter `id gt <the last id read>` (n8n's `nextCursor` only says whether more follow):
 * a row present for the whole read is on some page, whatever is deleted or inserted meanwhile. A
 * position's cursor is the last id read, so a later reading (a backup's next slice) goes on after it.
 */
import type { ListingPosition, PositionedListing } from '../../core/ports.js';
import { cursorListing, type ListingPlace } from './cursor-pages.js';
import { rowsOutOfOrder } from './errors.js';
import type { HttpAnswer } from './http-exchange.js';

/** n8n's row filter for the rows after `id`. */
export function rowsAfter(id: number): string {
  return JSON.stringify({ type: 'and', filters: [{ columnName: 'id', condition: 'gt', value: id }] });
}

/**
 * A listing of rows by id: `fetchAfter(undefined)` asks for the first page, `fetchAfter(id)` for
 * the rows after `id`; `parse` reads an answer. A page whose ids do not all follow the last one
 * read (a server that ignores the filter, or does not order by id) fails as a paging bug.
 */
export function idListing<T extends { id?: unknown }>(
  fetchAfter: (id: number | undefined) => Promise<HttpAnswer>,
  parse: (answer: HttpAnswer) => { data?: T[]; nextCursor?: string | null } | undefined,
  where: ListingPlace,
  from?: ListingPosition,
): PositionedListing<T> {
  // Pages are asked for one at a time, each once the one before is parsed: the last asked is the one parsed next.
  let askedAfter: number | undefined;
  return cursorListing<T>(
    (cursor) => {
      askedAfter = cursor === undefined ? undefined : Number(cursor);
      return fetchAfter(askedAfter);
    },
    (answer) => {
      const page = parse(answer);
      if (!page || !Array.isArray(page.data)) return page;
      let last = askedAfter ?? Number.NEGATIVE_INFINITY;
      for (const item of page.data) {
        if (typeof item.id !== 'number' || !(item.id > last)) throw rowsOutOfOrder(where.path, last, item.id);
        last = item.id;
      }
      const more = page.nextCursor !== null && page.nextCursor !== undefined && page.data.length > 0;
      return { data: page.data, nextCursor: more ? String(last) : null };
    },
    where,
    from,
  );
}
