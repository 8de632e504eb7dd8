import { describe, expect, it } from 'vitest';
import {
  batches,
  chunks,
  mapOrdered,
  pagesOf,
  peek,
  readAhead,
} from '../../functions/core/async-iterables.js';

async function* count(n: number) {
  for (let i = 1; i <= n; i += 1) yield i;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('peek', () => {
  it('replays the first item and the rest', async () => {
    const { empty, items } = await peek(count(3));
    expect(empty).toBe(false);
    expect(await collect(items)).toEqual([1, 2, 3]);
  });

  it('surfaces an error of the first page before anything is consumed', async () => {
    // biome-ignore lint/correctness/useYield: a listing that fails before its first page
    async function* failing(): AsyncGenerator<number> {
      throw new Error('403 not licensed');
    }
    await expect(peek(failing())).rejects.toThrow('403 not licensed');
  });
});

describe('chunks', () => {
  it('splits a stream into consecutive chunks of at most the given size', async () => {
    const sizes: number[][] = [];
    for await (const chunk of chunks(count(7), 3)) sizes.push(await collect(chunk));
    expect(sizes).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('yields no chunk for an empty stream', async () => {
    expect(await collect(chunks(count(0), 3))).toEqual([]);
  });
});

describe('mapOrdered', () => {
  it('keeps source order while calls run in parallel, never more than the limit', async () => {
    let running = 0;
    let peak = 0;
    const results = await collect(
      mapOrdered(count(20), 4, async (n) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, (n * 7) % 5));
        running -= 1;
        return n * 10;
      }),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 10));
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
  });

  it('propagates a failed call', async () => {
    const run = collect(
      mapOrdered(count(5), 2, async (n) => {
        if (n === 3) throw new Error('boom');
        return n;
      }),
    );
    await expect(run).rejects.toThrow('boom');
  });
});

describe('pagesOf', () => {
  it('reads a paged listing by its pages, anything else one item at a time, and an array as one page', async () => {
    const paged = {
      async *pages() {
        yield [1, 2];
        yield [3];
      },
      async *[Symbol.asyncIterator]() {
        yield 0;
      },
    };

    expect(await collect(pagesOf(paged))).toEqual([[1, 2], [3]]);
    expect(await collect(pagesOf(count(3)))).toEqual([[1], [2], [3]]);
    expect(await collect(pagesOf([1, 2, 3]))).toEqual([[1, 2, 3]]);
  });
});

describe('batches', () => {
  it('groups items into arrays of at most the size, the last one shorter, none empty', async () => {
    expect(await collect(batches(count(5), 2))).toEqual([[1, 2], [3, 4], [5]]);
    expect(await collect(batches(count(0), 2))).toEqual([]);
  });
});

describe('readAhead', () => {
  it('asks for the first page at once and hands every page over later, in order', async () => {
    const asked: number[] = [];
    const listing = {
      async *pages() {
        for (const page of [[1, 2], [3]]) {
          asked.push(page[0] ?? 0);
          yield page;
        }
      },
      async *[Symbol.asyncIterator]() {
        yield* [1, 2, 3];
      },
    };

    const ahead = readAhead(listing);
    await new Promise((resolve) => setImmediate(resolve));
    const askedBeforeReading = [...asked];

    expect(askedBeforeReading).toEqual([1]);
    expect(await collect(ahead.pages())).toEqual([[1, 2], [3]]);
  });

  it('keeps a failure of the first page for the reader, unhandled by nobody meanwhile', async () => {
    // biome-ignore lint/correctness/useYield: a listing that fails before its first page
    async function* failing(): AsyncGenerator<number> {
      throw new Error('404 table gone');
    }
    const ahead = readAhead(failing());
    await new Promise((resolve) => setImmediate(resolve));

    await expect(collect(ahead)).rejects.toThrow('404 table gone');
  });
});
