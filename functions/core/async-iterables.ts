/** Small combinators over async iterables, so pages and rows flow without being collected. */
import type { PagedListing } from './ports.js';

/**
 * Reads the first item before committing to anything. Lets a caller learn that a listing fails
 * (unlicensed, missing scope) before it has started writing an archive entry for it.
 */
export async function peek<T>(
  source: AsyncIterable<T>,
): Promise<{ empty: boolean; items: AsyncIterable<T> }> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* replay(): AsyncGenerator<T> {
    if (first.done) return;
    yield first.value;
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { empty: first.done === true, items: replay() };
}

/**
 * Splits one stream into consecutive chunks of at most `size` items. Each chunk must be consumed
 * fully before the next is requested; nothing beyond one item is buffered.
 */
export async function* chunks<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = await iterator.next();
  while (!pending.done) {
    let taken = 0;
    const chunk = async function* (): AsyncGenerator<T> {
      while (!pending.done && taken < size) {
        yield pending.value;
        taken += 1;
        pending = await iterator.next();
      }
    };
    yield chunk();
    // A consumer that stopped early still advances past the chunk, so the next one starts fresh.
    while (!pending.done && taken < size) {
      taken += 1;
      pending = await iterator.next();
    }
  }
}

/** Consecutive arrays of at most `size` items (the last may be shorter; none is empty). */
export async function* batches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Maps items with at most `concurrency` calls in flight and yields results in source order.
 * Memory is bounded by `concurrency` items.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  for await (const item of source) {
    const started = fn(item);
    // Avoid an unhandled rejection while the result waits its turn in the queue.
    started.catch(() => {});
    inFlight.push(started);
    if (inFlight.length >= concurrency) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

/** Passes items through while calling `observe` on each (counting, reference checks). */
/** The items that are there: undefined ones (e.g. objects gone since they were listed) are left out. */
export async function* present<T>(source: AsyncIterable<T | undefined>): AsyncGenerator<T> {
  for await (const item of source) if (item !== undefined) yield item;
}

export async function* tap<T>(source: AsyncIterable<T>, observe: (item: T) => void): AsyncGenerator<T> {
  for await (const item of source) {
    observe(item);
    yield item;
  }
}

/**
 * A listing whose first page is asked for now, though it is read later: a backup starts the next
 * data table's rows while it still writes this table's. Read by page like the listing itself.
 */
export function readAhead<T>(listing: AsyncIterable<T>): PagedListing<T> {
  const pages = pagesOf(listing)[Symbol.asyncIterator]();
  const first = pages.next();
  // Read later, or never if the backup stops first: no unhandled rejection meanwhile.
  first.catch(() => {});
  const ahead: PagedListing<T> = {
    async *pages() {
      for (let page = await first; !page.done; page = await pages.next()) yield page.value;
    },
    async *[Symbol.asyncIterator]() {
      for await (const page of ahead.pages()) yield* page;
    },
  };
  return ahead;
}

/**
 * The pages of a listing that offers them (PagedListing), otherwise its items one at a time; an
 * array is one page.
 */
export function pagesOf<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterable<readonly T[]> {
  if (Array.isArray(items)) return singlePage(items);
  const paged = items as Partial<PagedListing<T>>;
  if (typeof paged.pages === 'function') return paged.pages();
  return oneByOne(items);
}

async function* singlePage<T>(items: readonly T[]): AsyncGenerator<readonly T[]> {
  yield items;
}

async function* oneByOne<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<readonly T[]> {
  for await (const item of items) yield [item];
}
