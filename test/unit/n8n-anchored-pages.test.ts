import { describe, expect, it } from 'vitest';
import { anchoredPages } from '../../functions/adapters/n8n/anchored-pages.js';
import { BackupIncompleteError, PaginationError } from '../../functions/core/errors.js';

type Item = { id: string };

/** n8n's GET /workflows over a list kept in id order: `change` runs before each page is answered. */
function listing(ids: string[], change: (asked: number, list: string[]) => void = () => {}, size = 3) {
  const list = [...ids].sort();
  const offsets: number[] = [];
  const fetchAt = async (offset: number): Promise<{ items: Item[]; more: boolean }> => {
    offsets.push(offset);
    change(offsets.length, list);
    list.sort();
    const items = list.slice(offset, offset + size).map((id) => ({ id }));
    return { items, more: list.length > offset + size };
  };
  return { list, offsets, fetchAt };
}

async function read(
  fetchAt: (offset: number) => Promise<{ items: Item[]; more: boolean }>,
  limit = 3,
): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of anchoredPages(fetchAt, { limit, maxPages: 100, baseUrl: 'http://n8n.test' }))
    ids.push(...page.map((item) => item.id));
  return ids;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `w${String(i).padStart(3, '0')}`);

describe('anchoredPages: GET /workflows without gaps', () => {
  it('hands out every item once, each page asked from one place before the last ended', async () => {
    const { fetchAt, offsets } = listing(ids(8));

    expect(await read(fetchAt)).toEqual(ids(8));
    expect(offsets).toEqual([0, 2, 4, 6]);
  });

  it('pages on while n8n says more follow, though it answered fewer than asked for (a lower cap)', async () => {
    const all = ids(7);
    const fetchAt = async (offset: number) => ({
      items: all.slice(offset, offset + 2).map((id) => ({ id })),
      more: all.length > offset + 2,
    });

    expect(await read(fetchAt)).toEqual(all);
  });

  it('stops, as a paging bug of the server, when pages bring nothing new though more are said to follow', async () => {
    const fetchAt = async () => ({ items: [{ id: 'w1' }], more: true });

    await expect(read(fetchAt)).rejects.toThrow(PaginationError);
  });

  it('misses nothing when items before the read position are deleted meanwhile, where a plain offset walk loses one', async () => {
    // Before the 3rd page, two items already handed out are deleted: everything moves back two places.
    const { fetchAt } = listing(ids(9), (asked, list) => {
      if (asked === 3) list.splice(0, 2);
    });

    const got = await read(fetchAt);

    expect(got).toEqual(ids(9));
  });

  it('hands nothing out twice when items are created before the read position', async () => {
    const { fetchAt } = listing(ids(7), (asked, list) => {
      if (asked === 2) list.push('a1', 'a2');
    });

    expect(await read(fetchAt)).toEqual(ids(7));
  });

  it('keeps every item present throughout under seeded random creates and deletes', async () => {
    let seed = 20261129;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let completed = 0;
    for (let round = 0; round < 50; round += 1) {
      const start = ids(60);
      const deleted = new Set<string>();
      let created = 0;
      const { fetchAt } = listing(
        start,
        (_asked, list) => {
          for (let k = 0; k < 2; k += 1) {
            if (random() < 0.5 && list.length > 0) {
              const [gone] = list.splice(Math.floor(random() * list.length), 1);
              if (gone) deleted.add(gone);
            } else list.push(`w${String(Math.floor(random() * 60)).padStart(3, '0')}-new${created++}`);
          }
        },
        10,
      );

      const got = await read(fetchAt, 10).catch((error: unknown) => error);

      // A listing that moved too far fails loudly (the backup is run again); else nothing is lost.
      if (got instanceof BackupIncompleteError || got instanceof PaginationError) continue;
      expect(got).toBeInstanceOf(Array);
      completed += 1;
      const handedOut = got as string[];
      expect(new Set(handedOut).size).toBe(handedOut.length);
      for (const id of start) if (!deleted.has(id)) expect(handedOut).toContain(id);
    }
    expect(completed).toBeGreaterThan(40);
  });

  it('fails, asking for the backup to be run again, when no item of the page before can be found', async () => {
    const { fetchAt } = listing(ids(9), (asked, list) => {
      if (asked >= 2)
        list.splice(
          0,
          list.length,
          ...ids(9)
            .slice(6)
            .map((id) => `${id}-new`),
        );
    });

    await expect(read(fetchAt)).rejects.toThrow(BackupIncompleteError);
    // Every item deleted: nothing present throughout is left to read.
    const emptied = listing(ids(9), (asked, list) => {
      if (asked >= 2) list.splice(0);
    });
    await expect(read(emptied.fetchAt)).resolves.toEqual(ids(3));
  });
});
