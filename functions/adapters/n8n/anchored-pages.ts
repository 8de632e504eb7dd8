/**
 * GET /workflows read so that no workflow that existed for the whole read can be missed. n8n 2.41
 * lists workflows in one fixed order (by id) and pages them by offset; a workflow deleted (or one
 * created) before the read position shifts every later one by a place, so the next page of a
 * plain cursor walk can skip one without any error. Here each page is asked for from one place
 * before where the last one ended (`offset`, which GET /workflows takes), and must contain an id
 * of the page before: the items after that anchor are then contiguous with what was handed out.
 * When the list shifted by more than that overlap the page is asked for again a page further
 * back; items already handed out are not handed out again. Only the previous page's ids are held.
 */
import { BackupIncompleteError, N8nApiError } from '../../core/errors.js';
import type { GaplessStart } from '../../core/ports.js';
import { checkMemory, type MemoryCeiling } from './cursor-pages.js';
import { endlessPaging, pageTooLarge, tooManyListed } from './errors.js';

export interface AnchoredPagesOptions {
  /** Items per page asked for (n8n's most: 250). */
  limit: number;
  /** Pages asked for at most (a list that keeps moving must end). */
  maxPages: number;
  /** Workflows handed out at most (MAX_LISTED_OBJECTS). */
  maxItems?: number;
  /** The memory past which the listing, once long, is stopped. */
  memory?: MemoryCeiling;
  /** For error messages. */
  baseUrl: string;
  /** Read on from where an earlier reading stood: from `offset`, after the ids it handed out last. */
  from?: GaplessStart;
}

/**
 * Reads GET /workflows from `offset`, `limit` items (the caller's request, parse and limits), and
 * whether n8n says more follow (its `nextCursor`): an n8n that caps `limit` lower still pages on.
 */
export type FetchAt<T> = (offset: number) => Promise<{ items: T[]; more: boolean }>;

/** The pages of a listing, each item once, none of those present throughout left out. */
export async function* anchoredPages<T extends { id?: unknown }>(
  fetchAt: FetchAt<T>,
  options: AnchoredPagesOptions,
): AsyncGenerator<T[]> {
  /** The ids of the last pages read: what a page must meet, and what is not handed out again. */
  const recent: string[][] = options.from ? [options.from.after] : [];
  let offset = options.from?.offset ?? 0;
  let next: Promise<{ items: T[]; more: boolean }> | undefined = fetchAt(offset);
  /** Pages in a row that held nothing new though n8n said more follow. */
  let stalled = 0;
  let handedOut = 0;
  for (let asked = 1; next; asked += 1) {
    const { items: page, more } = await next;
    next = undefined;
    if (page.length > options.limit) throw pageTooLarge('/workflows', page.length, options.limit);
    const seen = new Set(recent.flat());
    const after = recent.length === 0 ? -1 : anchoredAt(page, seen);
    if (after === undefined) {
      // An empty list from the start: nothing is left to read.
      if (offset === 0 && page.length === 0) return;
      // Shifted past the overlap, or the anchors were deleted: a page further back.
      if (offset === 0 || asked >= options.maxPages) throw unanchored(options.baseUrl);
      offset = Math.max(0, offset - options.limit);
      next = fetchAt(offset);
      continue;
    }
    const fresh = page.slice(after + 1).filter((item) => !seen.has(idOf(item, options.baseUrl)));
    // Twice in a row is a server going round in circles (one page of 250 with nothing new already
    // needs that many workflows created before the read position between two pages).
    stalled = fresh.length === 0 && more ? stalled + 1 : 0;
    if (stalled >= 2) throw endlessPaging('/workflows', true, options.maxPages);
    if (more || page.length >= options.limit) {
      if (asked >= options.maxPages) throw unanchored(options.baseUrl);
      offset += Math.max(1, page.length - 1);
      next = fetchAt(offset);
      next.catch(() => {});
    }
    recent.push(page.map((item) => idOf(item, options.baseUrl)));
    if (recent.length > REMEMBERED_PAGES) recent.shift();
    handedOut += fresh.length;
    if (options.maxItems !== undefined && handedOut > options.maxItems)
      throw tooManyListed('/workflows', options.maxItems);
    checkMemory('/workflows', handedOut, options.memory);
    if (fresh.length > 0) yield fresh;
  }
}

/**
 * Pages whose ids are remembered. An item handed out before them that shows up again is handed
 * out twice (the backup's closing check fails on a repeated id); never lost.
 */
const REMEMBERED_PAGES = 4;

/** Where in `page` the last item of the previous page that is still listed stands; undefined: none is. */
function anchoredAt<T extends { id?: unknown }>(page: T[], previous: Set<string>): number | undefined {
  for (let index = page.length - 1; index >= 0; index -= 1)
    if (previous.has(String(page[index]?.id))) return index;
  return undefined;
}

function idOf(item: { id?: unknown }, baseUrl: string): string {
  if (typeof item.id !== 'string' && typeof item.id !== 'number')
    throw new N8nApiError(`n8n at ${baseUrl} listed a workflow without an id`, {
      status: 200,
      method: 'GET',
      path: '/workflows',
    });
  return String(item.id);
}

function unanchored(baseUrl: string): BackupIncompleteError {
  const problem = `the workflows of n8n at ${baseUrl} changed so much while they were listed (many deleted or created before the read position) that the listing could not be followed without a gap`;
  return new BackupIncompleteError(`${problem}; no archive was published. Run the backup again.`, {
    problems: [problem],
  });
}
