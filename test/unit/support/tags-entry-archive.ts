import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ARCHIVE_FORMAT, FORMAT_VERSION, MANIFEST_ENTRY } from '../../../functions/core/archive/format.js';
import type { ArchiveReader } from '../../../functions/core/ports.js';

/** The manifest of an archive holding one tags entry of these bytes. */
export function tagsEntryManifest(bytes: Buffer): object {
  const records = bytes
    .toString('latin1')
    .split('\n')
    .filter((line) => line.length > 0).length;
  return {
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
}

/**
 * An archive of one tags entry whose bytes arrive in chunks of `chunkSize`, as a zip entry streams;
 * its manifest made for it, unless given as bytes.
 */
export function tagsEntryReader(bytes: Buffer, chunkSize = 64, manifest?: Buffer): ArchiveReader {
  const contents = new Map([
    ['tags.ndjson', bytes],
    [MANIFEST_ENTRY, manifest ?? Buffer.from(JSON.stringify(tagsEntryManifest(bytes)))],
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
