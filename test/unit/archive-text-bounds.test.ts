/**
 * What an entry's text may be before anything reads it as records: UTF-8 (never decoded with
 * replacement characters) and nested no deeper than MAX_NESTING, judged without recursion.
 */
import { describe, expect, it } from 'vitest';
import { openArchive } from '../../functions/core/archive/format.js';
import { MAX_NESTING, nestedDeeperThan } from '../../functions/core/archive/json-text.js';
import { ArchiveIntegrityError } from '../../functions/core/errors.js';
import type { ArchiveReader } from '../../functions/core/ports.js';
import { tagsEntryManifest, tagsEntryReader } from './support/tags-entry-archive.js';

const readerOf = tagsEntryReader;

async function readRecords(reader: ArchiveReader): Promise<unknown[] | ArchiveIntegrityError> {
  try {
    const archive = await openArchive(reader);
    const records: unknown[] = [];
    for await (const record of archive.records('tags.ndjson')) records.push(record);
    return records;
  } catch (error) {
    if (error instanceof ArchiveIntegrityError) return error;
    throw error;
  }
}

const nested = (depth: number, inner = '1') => `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;

describe('nesting depth', () => {
  it.each([
    ['an object nested to the limit', nested(MAX_NESTING), false],
    ['an object nested one level past it', nested(MAX_NESTING + 1), true],
    ['arrays nested past it', `${'['.repeat(300)}${']'.repeat(300)}`, true],
    [
      'brackets inside strings',
      JSON.stringify({ text: '['.repeat(10_000), more: '{"a":'.repeat(500) }),
      false,
    ],
    ['escaped quotes inside strings', JSON.stringify({ text: `\\"${'['.repeat(400)}"\\\\` }), false],
    ['a string that never ends', `{"a":"${'['.repeat(400)}`, false],
  ])('%s: deeper than the limit is %s', (_what, text, deeper) => {
    expect(nestedDeeperThan(text, MAX_NESTING)).toBe(deeper);
  });

  it('judges a line nested 1,000,000 deep without overflowing, and refuses it before parsing', async () => {
    // Prepare
    const line = `{"id":"t1","name":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}\n`;

    // Act
    const read = await readRecords(readerOf(Buffer.from(line), 64 * 1024));

    // Assess
    expect(read).toBeInstanceOf(ArchiveIntegrityError);
    expect((read as Error).message).toMatch(
      /^tags\.ndjson line 1 nests arrays and objects deeper than 256 levels/,
    );
  });

  it('reads a record nested as deep as real n8n workflows are (14 levels) as it is', async () => {
    const record = JSON.parse(nested(14, '"deep"')) as object;
    const read = await readRecords(readerOf(Buffer.from(`${JSON.stringify(record)}\n`), 7));
    expect(read).toEqual([record]);
  });
});

describe('UTF-8', () => {
  const good = Buffer.from('{"id":"t1","name":"Zürich ✓ 𝄞"}\n{"id":"t2","name":"b"}\n');

  it.each([1, 2, 3, 5, 64])(
    'reads multi-byte characters cut at any chunk boundary (chunks of %i)',
    async (size) => {
      expect(await readRecords(readerOf(good, size))).toEqual([
        { id: 't1', name: 'Zürich ✓ 𝄞' },
        { id: 't2', name: 'b' },
      ]);
    },
  );

  it.each([
    ['a lone continuation byte', Buffer.from([0x80])],
    ['a byte UTF-8 never uses', Buffer.from([0xff])],
    ['an overlong slash', Buffer.from([0xc0, 0xaf])],
    ['a surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['a sequence cut short', Buffer.from([0xe2, 0x9c])],
  ])('refuses %s, naming the entry, the line and the byte', async (_what, bad) => {
    // Prepare: the bad bytes inside the second record's name, after an empty line
    const bytes = Buffer.concat([
      Buffer.from('{"id":"t1","name":"a"}\n\n{"id":"t2","name":"'),
      bad,
      Buffer.from('"}\n'),
    ]);

    // Act
    const results = await Promise.all([1, 3, 1024].map((size) => readRecords(readerOf(bytes, size))));

    // Assess: whatever the chunks, the same refusal
    for (const read of results) {
      expect(read).toBeInstanceOf(ArchiveIntegrityError);
      expect((read as Error).message).toBe(
        'tags.ndjson line 2 is not valid UTF-8 (byte 43 of the entry): refused rather than read with replacement characters',
      );
    }
  });

  it('refuses an entry that ends inside a sequence', async () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"t1","name":"a"}\n'), Buffer.from([0xf0, 0x9d])]);
    const read = await readRecords(readerOf(bytes, 4));
    expect((read as Error).message).toMatch(
      /^tags\.ndjson line 2 is not valid UTF-8 \(byte 23 of the entry\)/,
    );
  });

  it('refuses a manifest that is not UTF-8 before reading anything else', async () => {
    const manifest = Buffer.from(
      JSON.stringify(tagsEntryManifest(good)).replace('"test"', '"t\u00ffst"'),
      'latin1',
    );
    const read = await readRecords(readerOf(good, 64, manifest));
    expect((read as Error).message).toMatch(/^manifest\.json is not valid UTF-8/);
  });
});
