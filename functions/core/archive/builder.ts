/**
 * Writing archive format v1: NDJSON entries through an ArchiveWriter, each hashed as it streams,
 * the manifest last (it carries every other entry's SHA-256, size and record count).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { pagesOf } from '../async-iterables.js';
import type { ArchiveWriter } from '../ports.js';
import {
  ARCHIVE_FORMAT,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  type Manifest,
  type ManifestEntry,
} from './format.js';

export interface RecordsOptions {
  /** The data table the records are rows of. */
  dataTableId?: string;
  /** Called with each record as it is written (counting, reference checks, progress). */
  observe?: (record: unknown) => void;
}

/**
 * A record already serialized, written as it is: a line of an earlier archive, verified against
 * that archive's digest, copied without parsing it and writing it again.
 */
export class JsonLine {
  constructor(readonly text: string) {}
}

/** Writes NDJSON entries through an ArchiveWriter, hashing each as it streams; the manifest goes last. */
export class ArchiveBuilder {
  private readonly entries: ManifestEntry[] = [];

  constructor(private readonly writer: ArchiveWriter) {}

  /** Writes all of `records` as one entry (an empty listing still gets its entry). */
  async addRecords(
    name: string,
    resource: string,
    records: AsyncIterable<unknown> | Iterable<unknown>,
    options: RecordsOptions = {},
  ): Promise<ManifestEntry> {
    const [entry] = await this.write(() => name, resource, records, Number.POSITIVE_INFINITY, options);
    return entry ?? this.closeEntry(this.openEntry(name, resource, options));
  }

  /**
   * Writes `records` as consecutive entries of at most `perEntry` records, the n-th (from 1) named
   * `nameOf(n)`; an empty listing writes none.
   */
  async addRecordsInEntries(
    nameOf: (n: number) => string,
    resource: string,
    records: AsyncIterable<unknown> | Iterable<unknown>,
    perEntry: number,
    options: RecordsOptions = {},
  ): Promise<ManifestEntry[]> {
    return this.write(nameOf, resource, records, perEntry, options);
  }

  /**
   * One loop over the records, a page at a time where the listing is paged, feeds the entries: it
   * waits only when the writer pushes back, so the archive's backpressure reaches n8n's pages
   * without a layer of promises per record.
   */
  private async write(
    nameOf: (n: number) => string,
    resource: string,
    records: AsyncIterable<unknown> | Iterable<unknown>,
    perEntry: number,
    options: RecordsOptions,
  ): Promise<ManifestEntry[]> {
    const written: ManifestEntry[] = [];
    let entry: NdjsonEntry | undefined;
    try {
      for await (const page of pagesOf(records)) {
        for (const record of page) {
          entry ??= this.openEntry(nameOf(written.length + 1), resource, options);
          options.observe?.(record);
          const pushedBack = entry.write(record);
          if (pushedBack) await pushedBack;
          if (entry.records >= perEntry) {
            written.push(await this.closeEntry(entry));
            entry = undefined;
          }
        }
      }
      if (entry) written.push(await this.closeEntry(entry));
    } catch (error) {
      entry?.fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    return written;
  }

  private openEntry(name: string, resource: string, options: RecordsOptions): NdjsonEntry {
    return new NdjsonEntry(this.writer, name, resource, options.dataTableId);
  }

  private async closeEntry(entry: NdjsonEntry): Promise<ManifestEntry> {
    const closed = await entry.close();
    this.entries.push(closed);
    return closed;
  }

  /** Records written so far in the entries of `resource`, as the manifest will list them. */
  recordsOf(resource: string): number {
    let records = 0;
    for (const entry of this.entries) if (entry.resource === resource) records += entry.records;
    return records;
  }

  async finish(manifest: Omit<Manifest, 'format' | 'formatVersion' | 'entries'>): Promise<Manifest> {
    const complete: Manifest = {
      format: ARCHIVE_FORMAT,
      formatVersion: FORMAT_VERSION,
      ...manifest,
      entries: this.entries,
    };
    await this.writer.addEntry(
      MANIFEST_ENTRY,
      Readable.from([Buffer.from(`${JSON.stringify(complete, null, 2)}\n`)]),
    );
    await this.writer.finish();
    return complete;
  }
}

/** Lines are handed to the writer in ~64 KiB buffers: one write per line would dominate the run time. */
const BATCH_BYTES = 64 * 1024;
/** The most UTF-8 bytes one UTF-16 code unit of a JavaScript string can take. */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/** One NDJSON entry being written: lines batched, hashed and counted on their way to the writer. */
class NdjsonEntry {
  records = 0;
  private size = 0;
  private readonly hash = createHash('sha256');
  /** Lines are encoded straight into this buffer: no buffer per line, no copy to join them. */
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private batchBytes = 0;
  /** Room for a few batches, so a short stall of the compressor does not hold n8n's pages back. */
  private readonly content = new PassThrough({ highWaterMark: 4 * BATCH_BYTES });
  private readonly added: Promise<void>;
  /** Rejects when the writer stops taking this entry: waiting for room must not outlive it. */
  private readonly stopped: Promise<never>;

  constructor(
    writer: ArchiveWriter,
    private readonly name: string,
    private readonly resource: string,
    private readonly dataTableId: string | undefined,
  ) {
    this.added = writer.addEntry(name, this.content);
    // Observed by close(); a failure before then must not go unhandled.
    this.added.catch(() => {});
    this.stopped = this.added.then(() => {
      throw new Error(`the archive writer finished ${name} before it was complete`);
    });
    this.stopped.catch(() => {});
  }

  /** Adds one record; returns a promise only when the writer wants the caller to wait. */
  write(record: unknown): Promise<void> | undefined {
    const line = `${record instanceof JsonLine ? record.text : JSON.stringify(record)}\n`;
    this.records += 1;
    if (line.length * MAX_UTF8_BYTES_PER_UNIT <= this.batch.length - this.batchBytes) {
      this.batchBytes += this.batch.write(line, this.batchBytes, 'utf8');
      return undefined;
    }
    // The line may not fit: send what the batch holds, then the line in a buffer of its own if it
    // is bigger than a batch (a workflow with large pinned data), else start the next batch with it.
    let roomLeft = this.flush();
    if (line.length * MAX_UTF8_BYTES_PER_UNIT > BATCH_BYTES) {
      roomLeft = this.send(Buffer.from(line, 'utf8')) && roomLeft;
    } else {
      this.batchBytes = this.batch.write(line, 0, 'utf8');
    }
    return roomLeft ? undefined : this.room();
  }

  async close(): Promise<ManifestEntry> {
    this.flush();
    this.content.end();
    await this.added;
    return {
      name: this.name,
      resource: this.resource,
      sha256: this.hash.digest('hex'),
      size: this.size,
      records: this.records,
      ...(this.dataTableId !== undefined ? { dataTableId: this.dataTableId } : {}),
    };
  }

  fail(error: Error): void {
    this.content.destroy(error);
  }

  /** Hands the batch to the writer and starts a new one; false when the writer has no room left. */
  private flush(): boolean {
    if (this.batchBytes === 0) return true;
    const chunk = this.batch.subarray(0, this.batchBytes);
    this.batch = Buffer.allocUnsafe(BATCH_BYTES);
    this.batchBytes = 0;
    return this.send(chunk);
  }

  private send(chunk: Buffer): boolean {
    this.hash.update(chunk);
    this.size += chunk.length;
    return this.content.write(chunk);
  }

  /** Resolves when the writer has room again; rejects if it stops taking this entry first. */
  private room(): Promise<void> {
    return Promise.race([once(this.content, 'drain').then(() => {}), this.stopped]);
  }
}
