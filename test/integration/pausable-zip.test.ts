/**
 * The sliced backup's zip writer (adapters/pausable-zip-writer.ts) and the builder's cut entries:
 * never paused it writes archiver's bytes; paused between pages and taken up by a writer built
 * from the saved state (as the next Lambda invocation does), the archive reads back whole — CRC-32
 * and SHA-256 of each entry as the directory and the manifest say — for the project's reader and
 * for Info-ZIP's unzip.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { ZipArchive } from 'archiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPausableZipWriter, type PausedZip } from '../../functions/adapters/pausable-zip-writer.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { ArchiveBuilder, type BuilderState } from '../../functions/core/archive/builder.js';
import { openArchive } from '../../functions/core/archive/format.js';
import type { ArchiveBlob } from '../../functions/core/ports.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-pausable-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DATE = new Date('2026-11-29T02:00:07.000Z');

/** NDJSON that compresses as real records do, about `bytes` long. */
function ndjson(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const line = `${JSON.stringify({ id: `${seed}-${i}`, name: `record ${(i * 7919) % 10007}`, at: i * seed })}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}

async function collect(output: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of output) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function blobOf(bytes: Buffer): ArchiveBlob {
  return {
    size: bytes.length,
    readRange: (start, end) => Readable.from([bytes.subarray(start, end)]),
    close: async () => {},
  };
}

/** In pieces, as a store hands a stream to the writer. */
const pieces = (bytes: Buffer, size = 16 * 1024) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      bytes.subarray(i * size, (i + 1) * size),
    ),
  );

describe('the pausable zip writer', () => {
  it('writes archiver’s bytes when it never pauses (deflate level 1, data descriptors, the same directory)', async () => {
    const contents = [
      ['users.ndjson', ndjson(2_000, 1)],
      ['empty.ndjson', Buffer.alloc(0)],
      ['workflows.ndjson', ndjson(3_000_000, 2)],
      ['manifest.json', Buffer.from('{"format":"n8n-ark-archive"}\n')],
    ] as const;
    const zip = new ZipArchive({ zlib: { level: 1 } });
    const expected = collect(zip.pipe(new PassThrough()));
    for (const [name, bytes] of contents) zip.append(pieces(bytes), { name, date: DATE });
    await zip.finalize();

    const writer = createPausableZipWriter({ now: () => DATE });
    const written = collect(writer.output);
    for (const [name, bytes] of contents) await writer.addEntry(name, pieces(bytes));
    await writer.finish();

    const [ours, theirs] = await Promise.all([written, expected]);
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('takes an entry cut between pages up in a new writer from the saved state, and the archive reads back whole', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ id: i + 1, text: `événement ${i}`, n: i * 31 }));
    const pages = (from: number, to: number) =>
      ({
        async *pages() {
          for (let at = from; at < to; at += 1000) yield rows.slice(at, Math.min(to, at + 1000));
        },
        async *[Symbol.asyncIterator]() {
          yield* rows.slice(from, to);
        },
      }) as AsyncIterable<unknown> & { pages(): AsyncIterable<readonly unknown[]> };

    // The first "invocation": tags whole, then rows cut at a checkpoint and stopped at the 12,000th.
    const first = createPausableZipWriter({ now: () => DATE });
    const firstBytes = collect(first.output);
    let builder = ArchiveBuilder.sliced(first);
    await builder.addRecords('tags.ndjson', 'tags', [{ id: 't1', name: 'prod' }]);
    let saved: { builder: BuilderState; zip: PausedZip; bytes: number } | undefined;
    let written = 0;
    const stop = new Error('the slice ends');
    await expect(
      builder.addRecords('rows.ndjson', 'dataTableRows', pages(0, 30_000), {
        afterPage: async (cut) => {
          written += 1000;
          if (written % 5000 === 0 || written === 12_000) {
            await cut();
            const { state, bytes } = await first.checkpoint();
            saved = JSON.parse(JSON.stringify({ builder: builder.state(), zip: state, bytes }));
          }
          if (written === 12_000) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    (first.output as PassThrough).end();
    const head = (await firstBytes).subarray(0, saved?.bytes);
    expect(saved?.builder.open).toMatchObject({ name: 'rows.ndjson', records: 12_000 });

    // The next "invocation": a writer and a builder from the saved state, the rows from the 12,001st.
    const second = createPausableZipWriter({ now: () => new Date(), resume: saved?.zip });
    const tail = collect(second.output);
    builder = ArchiveBuilder.sliced(second, saved?.builder);
    const entry = await builder.addRecords('rows.ndjson', 'dataTableRows', pages(12_000, 30_000));
    const manifest = await builder.finish({
      tool: { name: 'n8n-ark', version: 'test' },
      source: { url: 'http://n8n', instance: 'prod', n8nVersion: null },
      startedAt: DATE.toISOString(),
      finishedAt: DATE.toISOString(),
      counts: { tags: 1, dataTableRows: 30_000 },
      skipped: [],
      warnings: [],
    });
    const archive = Buffer.concat([head, await tail]);

    const expectedText = rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    expect(entry).toMatchObject({
      records: 30_000,
      size: Buffer.byteLength(expectedText),
      sha256: createHash('sha256').update(expectedText).digest('hex'),
    });
    const opened = await openArchive(await openZipArchive(blobOf(archive)));
    expect((await opened.verify()).ok).toBe(true);
    expect(opened.manifest.entries.map((e) => [e.name, e.records])).toEqual([
      ['tags.ndjson', 1],
      ['rows.ndjson', 30_000],
    ]);
    expect(manifest.entries).toEqual(opened.manifest.entries);
    const path = join(dir, 'sliced.zip');
    await writeFile(path, archive);
    const { stdout } = await run('unzip', ['-t', path]);
    expect(stdout).toContain('No errors detected in compressed data');
  });

  it('refuses to start another entry while one is paused, and to finish with one paused', async () => {
    const writer = createPausableZipWriter();
    writer.output.resume();
    writer.endPart();
    await writer.addEntry('a.ndjson', Readable.from([Buffer.from('{"id":1}\n')]));

    await expect(writer.addEntry('b.ndjson', Readable.from([]))).rejects.toThrow(/a\.ndjson is paused/);
    await expect(
      createPausableZipWriter({ resume: (await writer.checkpoint()).state as PausedZip }).finish(),
    ).rejects.toThrow(/a\.ndjson was paused and never finished/);
  });
});
