import { describe, expect, it } from 'vitest';
import { chunks, mapOrdered, pagesOf, peek } from '../../functions/core/async-iterables.js';

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
