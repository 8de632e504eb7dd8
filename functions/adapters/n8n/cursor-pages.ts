/**
 * n8n's cursor listings read to the end: limit=250 per page, the next page asked for while the
 * caller works through this one, a repeated cursor refused, an item a recent page had dropped
 * (cursors are offset paging underneath, which repeats items when something is inserted mid-scan).
 */
import type { ListingPosition, PositionedListing } from '../../core/ports.js';
import {
  endlessPaging,
  memoryCeilingReached,
  noDataList,
  pageTooLarge,
  repeatedCursor,
  tooManyListed,
} from './errors.js';
import type { HttpAnswer } from './http-exchange.js';

/**
 * Read item by item, the next page is asked for when this many items of the current one are left:
 * soon enough to arrive in time when each item costs a GET of its own (workflows), late enough not
 * to wait long. A page that waits through a whole page of the caller's work outlives V8's young
 * generation and piles up until a full collection (measured at 10,000 workflows: +9 MB of page
 * buffers and +6 MB of old space, the difference between the bench's sizes).
 */
export const PREFETCH_WITH_ITEMS_LEFT = 50;

/** The most pages one listing is followed for: 100,000 × 250 items, far past any real instance. */
export const MAX_PAGES = 100_000;

/**
 * The most objects one listing of a kind hands out (data-table rows apart: they are streamed, never
 * held). What a backup, a restore or a diff keeps of each listed object (its id and name, a
 * summary) is small, but a server handing out new objects for ever would grow it without end:
 * measured before this bound, 1.7 GB (backup) and 2.5 GB (restore), and a V8 abort with 250 objects
 * of 450 bytes a page. No n8n instance holds 200,000 workflows, credentials or tags; a listing past
 * that is declared a paging bug. Several listings read side by side (a restore's plan reads every
 * kind of the target at once) could still pass 500 MB with large objects before each reaches it:
 * a memory ceiling (MemoryCeiling) stops a long listing then (test/integration/cli-hostile-server.test.ts).
 */
export const MAX_LISTED_OBJECTS = 200_000;

/**
 * The process's memory past which a long listing is stopped as a paging bug: 440 MB of resident set
 * (the CLI's peak against n8n is under 250 MB at 10,000 workflows; see the README's benchmark).
 * Only a listing that has handed out LONG_LISTING objects is stopped, so a short one is never blamed
 * for memory others hold.
 */
export const DEFAULT_MEMORY_CEILING_BYTES = 440 * 1000 * 1000;
export const LONG_LISTING = 25_000;

/** The memory ceiling a listing is held to: the ceiling, and how the process's memory is read. */
export interface MemoryCeiling {
  bytes: number;
  /** The resident set now, in bytes (process.memoryUsage.rss in production). */
  rss: () => number;
}

/**
 * One cursor listing being read: hands its pages over in order, without the items a recent page
 * had, and asks for the next one when told to. A cursor seen twice means n8n is looping: fail, don't
 * spin. The page asked for ahead waits as bytes and is parsed when the caller takes it.
 */
class CursorPages<T extends { id?: unknown }> {
  private readonly seenCursors = new Set<string>();
  private pages = 0;
  /** Items handed out so far. */
  private handedOut = 0;
  private stalled = 0;
  private readonly recent = new RecentIds();
  /** The next page's cursor (undefined for the first page); null once the last page is in. */
  private cursor: string | undefined | null = undefined;
  private pending: Promise<HttpAnswer> | undefined;

  constructor(
    private readonly fetchPage: (cursor: string | undefined) => Promise<HttpAnswer>,
    private readonly parse: (answer: HttpAnswer) => { data?: T[]; nextCursor?: string | null } | undefined,
    private readonly where: ListingPlace,
    from?: ListingPosition,
  ) {
    if (from) {
      this.cursor = from.cursor;
      this.recent.unseen(from.ids.map((id) => ({ id })));
    }
  }

  /** The next page's cursor once a page is in: where a later reading would go on from. */
  get nextCursor(): string | null {
    return this.cursor ?? null;
  }

  /** Asks for the next page now, unless it was asked for already or there is none. */
  prefetch(): void {
    if (this.pending || this.cursor === null) return;
    this.pending = this.fetchPage(this.cursor);
    // If the caller stops early, a page asked for ahead must not become an unhandled rejection.
    this.pending.catch(() => {});
  }

  /** The next page's items (possibly none), or undefined after the last page. */
  async next(): Promise<readonly T[] | undefined> {
    this.prefetch();
    if (!this.pending) return undefined;
    const answer = await this.pending;
    this.pending = undefined;
    const page = this.parse(answer);
    const { baseUrl, path, pageLimit, maxItems } = this.where;
    if (!page || !Array.isArray(page.data)) throw noDataList(baseUrl, path);
    // n8n never answers more than it was asked for: a larger page is a server gone wrong.
    if (pageLimit !== undefined && page.data.length > pageLimit)
      throw pageTooLarge(path, page.data.length, pageLimit);
    const cursor = page.nextCursor ?? null;
    if (cursor !== null) {
      if (this.seenCursors.has(cursor)) throw repeatedCursor(path);
      this.seenCursors.add(cursor);
    }
    this.cursor = cursor;
    const fresh = this.recent.unseen(page.data);
    this.pages += 1;
    this.handedOut += fresh.length;
    if (maxItems !== undefined && this.handedOut > maxItems) throw tooManyListed(path, maxItems);
    checkMemory(path, this.handedOut, this.where.memory);
    // A page with nothing new, yet another cursor: twice in a row is a server going round in circles.
    this.stalled = fresh.length === 0 && cursor !== null ? this.stalled + 1 : 0;
    const { maxPages } = this.where;
    if (this.stalled >= 2 || this.pages > maxPages) throw endlessPaging(path, this.stalled >= 2, maxPages);
    return fresh;
  }
}

/**
 * Resolves once requests made so far are on the wire. node:http writes a request on the next tick,
 * and ticks wait while microtasks run: a caller working through a page in promise callbacks would
 * hold the next page's request back until it had finished, and n8n would sit idle meanwhile.
 */
function requestsSent(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** Pages whose ids are remembered to drop an item a later page repeats. */
export const REPEAT_WINDOW_PAGES = 2;

/**
 * The ids of the last few pages handed over. Offset paging repeats the items at the end of a page at
 * the start of the next when something is inserted mid-scan (by as many as were inserted); keeping
 * two pages catches up to 500 inserts between two reads. Remembering every id of a listing instead
 * grew with the instance: the hash tables for 200,000 data-table rows came to ~18 MB.
 */
class RecentIds {
  private readonly pages: Set<IdKey>[] = [];

  /** The items of `items` not seen on a recent page (the array itself when none repeats). */
  unseen<T extends { id?: unknown }>(items: T[]): readonly T[] {
    const page = new Set<IdKey>();
    let fresh: T[] | undefined;
    for (let index = 0; index < items.length; index += 1) {
      const id = idKey(items[index]!.id);
      if (id === undefined || !(page.has(id) || this.has(id))) {
        if (id !== undefined) page.add(id);
        fresh?.push(items[index]!);
      } else {
        fresh ??= items.slice(0, index);
      }
    }
    this.pages.push(page);
    if (this.pages.length > REPEAT_WINDOW_PAGES) this.pages.shift();
    return fresh ?? items;
  }

  private has(id: IdKey): boolean {
    for (const page of this.pages) if (page.has(id)) return true;
    return false;
  }
}

type IdKey = string | number;

/** An item's id as a position keeps it, or none. */
function idOf(item: { id?: unknown }): IdKey[] {
  const id = idKey(item.id);
  return id === undefined ? [] : [id];
}

/**
 * An id as a set key. Numbers stay numbers (data-table rows have numeric ids): a Set of small
 * integers is several times smaller and faster than one of their strings, and one listing never
 * mixes the two.
 */
function idKey(id: unknown): IdKey | undefined {
  if (id === undefined || id === null) return undefined;
  return typeof id === 'number' ? id : String(id);
}

/** Where a listing reads, for its limits and messages. */
export interface ListingPlace {
  baseUrl: string;
  path: string;
  maxPages: number;
  /** The items each page was asked for: a page with more fails. */
  pageLimit?: number;
  /** The most items the listing hands out (MAX_LISTED_OBJECTS); none for rows, which are streamed. */
  maxItems?: number;
  /** The memory past which the listing, once long, is stopped; none for rows. */
  memory?: MemoryCeiling;
}

/** Stops a long listing once the process's memory is past its ceiling. */
export function checkMemory(path: string, handedOut: number, memory: MemoryCeiling | undefined): void {
  if (!memory || handedOut < LONG_LISTING) return;
  const rss = memory.rss();
  if (rss > memory.bytes) throw memoryCeilingReached(path, handedOut, rss, memory.bytes);
}

/**
 * A cursor listing, readable page by page (the next page is asked for as each is handed over) or
 * item by item (asked for when PREFETCH_WITH_ITEMS_LEFT items are left). `fetchPage` asks for the
 * page at a cursor (undefined: the first); `parse` reads its answer.
 */
export function cursorListing<T extends { id?: unknown }>(
  fetchPage: (cursor: string | undefined) => Promise<HttpAnswer>,
  parse: (answer: HttpAnswer) => { data?: T[]; nextCursor?: string | null } | undefined,
  where: ListingPlace,
  from?: ListingPosition,
): PositionedListing<T> {
  const open = () => new CursorPages<T>(fetchPage, parse, where, from);
  return {
    async *positioned() {
      const listing = open();
      for (let page = await listing.next(); page; page = await listing.next()) {
        const position = { cursor: listing.nextCursor, ids: page.flatMap((item) => idOf(item)) };
        listing.prefetch();
        await requestsSent();
        yield { items: page, position };
      }
    },
    async *pages() {
      const listing = open();
      for (let page = await listing.next(); page; page = await listing.next()) {
        listing.prefetch();
        await requestsSent();
        if (page.length > 0) yield page;
      }
    },
    async *[Symbol.asyncIterator]() {
      const listing = open();
      for (let page = await listing.next(); page; page = await listing.next()) {
        // The page is this loop's own: each item is let go of as it is handed over.
        const items = page as (T | undefined)[];
        const prefetchAt = Math.max(0, items.length - PREFETCH_WITH_ITEMS_LEFT);
        for (let index = 0; index < items.length; index += 1) {
          if (index === prefetchAt) {
            listing.prefetch();
            await requestsSent();
          }
          const item = items[index] as T;
          items[index] = undefined;
          yield item;
        }
      }
    },
  };
}
