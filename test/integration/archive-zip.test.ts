import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { openZipArchive } from '../../functions/adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../functions/adapters/zip-archive-writer.js';
import { openArchiveAt } from '../../functions/core/archive/access.js';
import { ArchiveBuilder } from '../../functions/core/archive/builder.js';
import { verifyArchive } from '../../functions/core/archive/verify.js';
import { runBackup } from '../../functions/core/backup/run.js';
import { ArchiveIntegrityError, UnsupportedArchiveFormatError } from '../../functions/core/errors.js';
import { SNAPSHOT_RESOURCES } from '../../functions/core/kinds/index.js';
import { silentLogger, silentProgress } from '../../functions/core/ports.js';
import { memoryN8nHolding, ownedWorkflows, workflow } from '../unit/fakes/n8n-contents.js';

let root: string;
let store: FolderArchiveStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'n8n-ark-zip-'));
  store = new FolderArchiveStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ROWS = 50_000;

async function backupSample(rowsPerChunk = 20_000) {
  const api = memoryN8nHolding({
    ...ownedWorkflows(workflow('w1', 'Orders 🚀'), workflow('w2', 'Zahlungseingänge', { active: true })),
    tags: [{ id: 't1', name: 'prod' }],
    credentials: [{ id: 'c1', name: 'Slack', type: 'slackApi' }],
    dataTables: [
      { id: 'd1', name: 'events', columns: [{ id: 'c', name: 'payload', type: 'string', index: 0 }] },
    ],
    rows: {
      d1: Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, payload: `événement ${i} 🚀` })),
    },
    unlicensed: ['feat:variables', 'feat:projectRole:admin'],
  });
  return runBackup(
    {
      api,
      store,
      createWriter: () => createZipArchiveWriter(),
      clock: { now: () => new Date() },
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'test',
    },
    { instance: 'prod', rowsPerChunk },
  );
}

/** Byte offsets of each entry's compressed data, read from the zip's own headers. */
async function entryDataOffsets(path: string): Promise<Map<string, { start: number; length: number }>> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const offsets = new Map<string, { start: number; length: number }>();
  const bytes = await readFile(path);
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const header = entry.relativeOffsetOfLocalHeader;
      const nameLength = bytes.readUInt16LE(header + 26);
      const extraLength = bytes.readUInt16LE(header + 28);
      offsets.set(entry.fileName, {
        start: header + 30 + nameLength + extraLength,
        length: entry.compressedSize,
      });
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  zip.close();
  return offsets;
}

describe('zip archives in a folder store', () => {
  it('round-trips every record through a real zip: write → read → equal', async () => {
    const { archive, manifest } = await backupSample();

    const opened = await openArchiveAt(store, archive.location, openZipArchive);
    try {
      expect(opened.manifest).toEqual(manifest);
      const rows: { id: number }[] = [];
      for (const entry of opened.entriesOf('dataTableRows')) {
        for await (const row of opened.records<{ id: number }>(entry.name)) rows.push(row);
      }
      expect(rows).toHaveLength(ROWS);
      expect(rows[ROWS - 1]).toEqual({ id: ROWS, payload: `événement ${ROWS - 1} 🚀` });
      const names = [];
      for await (const w of opened.records<{ name: string }>('workflows.ndjson')) names.push(w.name);
      expect(names).toEqual(['Orders 🚀', 'Zahlungseingänge']);
    } finally {
      await opened.close();
    }
    expect(archive.location).toMatch(/prod\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.zip$/);
    expect((await verifyArchive(store, archive.location, openZipArchive)).ok).toBe(true);
  });

  it('names the entry when one byte of any entry is flipped', async () => {
    const { archive } = await backupSample();
    const original = await readFile(archive.location);
    const offsets = await entryDataOffsets(archive.location);
    expect(offsets.size).toBeGreaterThan(5);

    for (const [name, { start, length }] of offsets) {
      const damaged = Buffer.from(original);
      const at = start + Math.floor(length / 2);
      damaged[at] = (damaged[at] ?? 0) ^ 0x01;
      await writeFile(archive.location, damaged);

      const report = await verifyArchive(store, archive.location, openZipArchive);

      expect(report.ok, `flipping a byte of ${name}`).toBe(false);
      expect(report.problems.map((p) => p.entry)).toContain(name);
    }
  });

  it('reports a truncated archive instead of crashing', async () => {
    const { archive } = await backupSample();
    const bytes = await readFile(archive.location);
    await writeFile(archive.location, bytes.subarray(0, Math.floor(bytes.length * 0.6)));

    const report = await verifyArchive(store, archive.location, openZipArchive);

    expect(report.ok).toBe(false);
    expect(report.problems[0]?.entry).toBe('(zip directory)');
  });

  it('refuses an archive of an unknown format version', async () => {
    const writer = createZipArchiveWriter();
    const stored = store.put('x', new Date(), writer.output, {});
    await writer.addEntry(
      'manifest.json',
      Readable.from([JSON.stringify({ format: 'n8n-ark-archive', formatVersion: 99 })]),
    );
    await writer.finish();
    const { location } = await stored;

    await expect(openArchiveAt(store, location, openZipArchive)).rejects.toBeInstanceOf(
      UnsupportedArchiveFormatError,
    );
    const report = await verifyArchive(store, location, openZipArchive);
    expect(report.problems[0]?.problem).toMatch(/format version 99 is not supported/);
  });

  it('detects a manifest that was edited after writing', async () => {
    const writer = createZipArchiveWriter();
    const stored = store.put('x', new Date(), writer.output, {});
    const builder = new ArchiveBuilder(writer);
    await builder.addRecords('tags.ndjson', 'tags', [{ id: 't', name: 'a' }]);
    await builder.addRecords('workflows.ndjson', 'workflows', []);
    const others = SNAPSHOT_RESOURCES.filter((r) => r !== 'tags' && r !== 'workflows');
    const manifest = await builder.finish({
      tool: { name: 'n8n-ark', version: 't' },
      source: { url: 'http://x', instance: 'x', n8nVersion: null },
      startedAt: '',
      finishedAt: '',
      counts: {},
      skipped: others.map((resource) => ({ resource, reason: 'not part of this test' })),
      warnings: [],
    });
    const { location } = await stored;
    // Re-write the archive with a manifest whose digest no longer matches the entry.
    const tampered = createZipArchiveWriter();
    const restored = store.put('y', new Date(), tampered.output, {});
    await tampered.addEntry('tags.ndjson', Readable.from([`${JSON.stringify({ id: 't', name: 'b' })}\n`]));
    await tampered.addEntry('workflows.ndjson', Readable.from([Buffer.alloc(0)]));
    await tampered.addEntry('manifest.json', Readable.from([JSON.stringify(manifest)]));
    await tampered.finish();
    const tamperedAt = (await restored).location;

    expect((await verifyArchive(store, location, openZipArchive)).ok).toBe(true);
    const report = await verifyArchive(store, tamperedAt, openZipArchive);
    expect(report.problems).toEqual([{ entry: 'tags.ndjson', problem: expect.stringMatching(/sha256/) }]);
    const opened = await openArchiveAt(store, tamperedAt, openZipArchive);
    const read = async () => {
      for await (const _ of opened.records('tags.ndjson'));
    };
    await expect(read()).rejects.toBeInstanceOf(ArchiveIntegrityError);
    await opened.close();
  });

  it('leaves no file behind when the archive stream fails part-way', async () => {
    const body = new PassThrough();
    const stored = store.put('prod', new Date(), body, {});
    body.write(Buffer.alloc(1024));
    body.destroy(new Error('n8n went away'));

    await expect(stored).rejects.toThrow(/n8n went away/);
    expect(await readdir(root)).toEqual([]);
  });

  it('lists archives newest first, per instance', async () => {
    for (const [instance, iso] of [
      ['a', '2026-01-01T00:00:00.000Z'],
      ['b', '2026-03-01T00:00:00.000Z'],
      ['a', '2026-02-01T00:00:00.000Z'],
    ] as const) {
      await store.put(instance, new Date(iso), Readable.from([Buffer.from('zip')]), {});
    }
    await writeFile(join(root, 'a', '.partial-leftover'), 'x');

    const all = [];
    for await (const ref of store.list())
      all.push(`${ref.instance} ${ref.createdAt.toISOString().slice(0, 7)}`);
    const onlyA = [];
    for await (const ref of store.list({ instance: 'a' }))
      onlyA.push(ref.createdAt.toISOString().slice(0, 7));

    expect(all).toEqual(['b 2026-03', 'a 2026-02', 'a 2026-01']);
    expect(onlyA).toEqual(['2026-02', '2026-01']);
  });
});
