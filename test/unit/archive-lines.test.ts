import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_FORMAT,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  openArchive,
} from '../../functions/core/archive/format.js';
import { ArchiveIntegrityError } from '../../functions/core/errors.js';
import type { ArchiveReader } from '../../functions/core/ports.js';

/** An archive of one tags entry whose bytes arrive in small chunks, as a zip entry streams. */
function readerOf(ndjson: string, chunkSize = 64, counted: { records?: number } = {}): ArchiveReader {
  const bytes = Buffer.from(ndjson);
  const records = counted.records ?? ndjson.split('\n').filter(Boolean).length;
  const manifest = {
    format: ARCHIVE_FORMAT,
    formatVersion: FORMAT_VERSION,
    tool: { name: 'n8n-ark', version: 'test' },
    source: { url: 'http://source.test', instance: 'test', n8nVersion: null },
    startedAt: '2026-11-22T01:00:00.000Z',
    finishedAt: '2026-11-22T01:00:01.000Z',
    counts: { tags: records },
    entries: [
      {
        name: 'tags.ndjson',
        resource: 'tags',
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
        records,
      },
    ],
    skipped: [],
    warnings: [],
  };
  const contents = new Map([
    ['tags.ndjson', bytes],
    [MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest))],
  ]);
  return {
    entries: () => [...contents].map(([name, b]) => ({ name, size: b.length })),
    openEntry: async (name) => {
      const b = contents.get(name) ?? Buffer.alloc(0);
      const chunks: Buffer[] = [];
      for (let i = 0; i < b.length; i += chunkSize) chunks.push(b.subarray(i, i + chunkSize));
      return Readable.from(chunks);
    },
    close: async () => {},
  };
}

async function readAll(reader: ArchiveReader, options?: { maxLineChars?: number }): Promise<unknown[]> {
  const archive = await openArchive(reader, options);
  const records: unknown[] = [];
  for await (const record of archive.records('tags.ndjson')) records.push(record);
  return records;
}

describe('reading NDJSON entries', () => {
  it('joins a line that spans many chunks, and splits several lines within one chunk', async () => {
    // Prepare
    const long = 'x'.repeat(10_000);
    const reader = readerOf(
      `{"id":"t1","name":"${long}"}\n{"id":"t2","name":"a"}\n{"id":"t3","name":"b"}\n`,
      64,
    );

    // Act
    const records = await readAll(reader);

    // Assess
    expect(records).toEqual([
      { id: 't1', name: long },
      { id: 't2', name: 'a' },
      { id: 't3', name: 'b' },
    ]);
  });

  it('refuses a line longer than the cap, naming the entry and the line, before reading the rest', async () => {
    // Prepare
    const reader = readerOf(`{"id":"t1","name":"a"}\n{"id":"t2","name":"${'x'.repeat(5_000)}"}\n`, 64);

    // Act
    const reading = readAll(reader, { maxLineChars: 1_000 });

    // Assess
    await expect(reading).rejects.toThrow(ArchiveIntegrityError);
    await expect(readAll(reader, { maxLineChars: 1_000 })).rejects.toThrow(
      /tags\.ndjson line 2 is longer than 1000 characters/,
    );
  });

  it('names the line that is not JSON', async () => {
    await expect(readAll(readerOf('{"id":"t1","name":"a"}\n{"id": nope}\n'))).rejects.toThrow(
      /tags\.ndjson line 2 is not valid JSON/,
    );
  });

  it('refuses an entry of more lines than its manifest counts records, at the line past them', async () => {
    // Prepare: a manifest counting 2 records over 3 lines
    const reader = readerOf('{"id":"t1","name":"a"}\n{"id":"t2","name":"b"}\n', 64, { records: 2 });
    const longer = readerOf('{"id":"t1","name":"a"}\n{"id":"t2","name":"b"}\n{"id":"t3","name":"c"}\n', 64, {
      records: 2,
    });

    // Act / Assess
    await expect(readAll(reader)).resolves.toHaveLength(2);
    await expect(readAll(longer)).rejects.toThrow(
      'tags.ndjson holds more lines than the 2 records its manifest counts: refused without reading the rest',
    );
  });

  it('refuses an entry of newlines after the 1,000th empty line, reading and verifying alike', async () => {
    // Prepare: a record, then a million newlines; the manifest agrees with the bytes
    const reader = readerOf(`{"id":"t1","name":"a"}\n${'\n'.repeat(1_000_000)}`, 65_536);

    // Act
    const reading = readAll(reader);
    const report = await (await openArchive(reader)).verify();

    // Assess
    await expect(reading).rejects.toThrow(
      'tags.ndjson holds more than 1000 empty lines, and an n8n-ark archive holds none: refused without reading the rest',
    );
    expect(report.problems).toEqual([
      {
        entry: 'tags.ndjson',
        problem:
          'holds more than 1000 empty lines, and an n8n-ark archive holds none: refused without reading the rest',
      },
    ]);
  });
});
