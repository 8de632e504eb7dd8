import { describe, expect, it } from 'vitest';
import { openArchive } from '../../functions/core/archive/format.js';
import { ArchiveIntegrityError } from '../../functions/core/errors.js';
import type { ArchiveReader } from '../../functions/core/ports.js';
import { tagsEntryReader } from './support/tags-entry-archive.js';

/** An archive of one tags entry whose bytes arrive in small chunks, as a zip entry streams. */
function readerOf(ndjson: string, chunkSize = 64): ArchiveReader {
  return tagsEntryReader(Buffer.from(ndjson), chunkSize);
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
});
