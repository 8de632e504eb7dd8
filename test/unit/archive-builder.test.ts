import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ArchiveBuilder } from '../../functions/core/archive/builder.js';
import type { ArchiveWriter } from '../../functions/core/ports.js';
import { InMemoryArchiveWriter } from './support/in-memory-archive.js';

/** A writer that takes nothing from an entry until `release()`, then reads everything. */
class HeldWriter implements ArchiveWriter {
  readonly output = new PassThrough();
  readonly bytes = new Map<string, number>();
  private released!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.released = resolve;
  });

  async addEntry(name: string, content: Readable): Promise<void> {
    await this.gate;
    let size = 0;
    for await (const chunk of content) size += (chunk as Buffer).length;
    this.bytes.set(name, size);
  }
  async finish(): Promise<void> {}
  abort(): void {}
  release(): void {
    this.released();
  }
}

/** Rows of about 120 bytes of NDJSON each. */
function pagedRows(
  pages: number,
  perPage: number,
): AsyncIterable<{ id: number }> & { pulled: number; pages(): AsyncIterable<{ id: number }[]> } {
  const listing = {
    pulled: 0,
    async *pages() {
      for (let p = 0; p < pages; p += 1) {
        listing.pulled += perPage;
        yield Array.from({ length: perPage }, (_, i) => ({ id: p * perPage + i, pad: 'x'.repeat(100) }));
      }
    },
    async *[Symbol.asyncIterator]() {
      for await (const page of listing.pages()) yield* page;
    },
  };
  return listing;
}

describe('ArchiveBuilder', () => {
  it('stops reading the listing while the writer is not taking the entry, and resumes when it does', async () => {
    const writer = new HeldWriter();
    const rows = pagedRows(400, 250);
    const builder = new ArchiveBuilder(writer);

    const writing = builder.addRecords('rows.ndjson', 'dataTableRows', rows);
    for (let turn = 0; turn < 50; turn += 1) await nextTurn();
    const pulledWhileHeld = rows.pulled;
    writer.release();
    const entry = await writing;

    // A few hundred KiB in buffers (10,000 rows is 1.2 MB), not the 12 MB listing.
    expect(pulledWhileHeld).toBeLessThan(10_000);
    expect(entry.records).toBe(100_000);
    expect(writer.bytes.get('rows.ndjson')).toBe(entry.size);
  });

  it('splits a listing into entries of at most the given number of records, and writes none for an empty one', async () => {
    const writer = new InMemoryArchiveWriter();
    const builder = new ArchiveBuilder(writer);

    const entries = await builder.addRecordsInEntries(
      (n) => `rows-${n}.ndjson`,
      'dataTableRows',
      pagedRows(3, 4),
      5,
      {
        dataTableId: 'd1',
      },
    );
    const none = await builder.addRecordsInEntries((n) => `empty-${n}.ndjson`, 'dataTableRows', [], 5);

    expect(entries.map((e) => [e.name, e.records, e.dataTableId])).toEqual([
      ['rows-1.ndjson', 5, 'd1'],
      ['rows-2.ndjson', 5, 'd1'],
      ['rows-3.ndjson', 2, 'd1'],
    ]);
    expect(none).toEqual([]);
    const lines = [1, 2, 3].flatMap((n) =>
      writer.entries.get(`rows-${n}.ndjson`)!.toString('utf8').trimEnd().split('\n'),
    );
    expect(lines.map((line) => (JSON.parse(line) as { id: number }).id)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it('writes records in order whatever their size, with the digest and size of exactly those lines', async () => {
    const writer = new InMemoryArchiveWriter();
    const builder = new ArchiveBuilder(writer);
    const records = Array.from({ length: 2_000 }, (_, i) => ({
      id: i,
      // Now and then a record bigger than a whole batch (a workflow with large pinned data), and
      // multi-byte text, whose UTF-8 is longer than its JavaScript string.
      note: i % 500 === 7 ? 'ü🎉'.repeat(40_000) : `row ${i} — ünïcödé`,
    }));

    const entry = await builder.addRecords('rows.ndjson', 'dataTableRows', records);

    const expected = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    expect(writer.entries.get('rows.ndjson')!.equals(expected)).toBe(true);
    expect(entry.size).toBe(expected.length);
    expect(entry.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
  });

  it('writes an entry for an empty listing and calls observe once per record', async () => {
    const writer = new InMemoryArchiveWriter();
    const builder = new ArchiveBuilder(writer);
    const seen: unknown[] = [];

    const empty = await builder.addRecords('tags.ndjson', 'tags', []);
    const some = await builder.addRecords('users.ndjson', 'users', [{ id: 'u1' }, { id: 'u2' }], {
      observe: (record) => seen.push(record),
    });

    expect([empty.records, empty.size]).toEqual([0, 0]);
    expect(writer.entries.get('tags.ndjson')?.length).toBe(0);
    expect(some.records).toBe(2);
    expect(seen).toEqual([{ id: 'u1' }, { id: 'u2' }]);
  });

  it('fails the entry, and the call, when the listing fails part-way', async () => {
    const writer = new InMemoryArchiveWriter();
    const builder = new ArchiveBuilder(writer);
    async function* failing() {
      yield { id: 1 };
      throw new Error('n8n answered 500');
    }

    await expect(builder.addRecords('rows.ndjson', 'dataTableRows', failing())).rejects.toThrow('500');
  });
});
