/**
 * Writing archive format v1: NDJSON entries through an ArchiveWriter, each hashed as it streams,
 * the manifest last (it carries every other entry's SHA-256, size and record count).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { pagesOf } from '../async-iterables.js';
import type { ArchiveWriter, PausableArchiveWriter } from '../ports.js';
import {
  ARCHIVE_FORMAT,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  type Manifest,
  type ManifestEntry,
} from './format.js';
import { Sha256, type Sha256State } from './sha256.js';

export interface RecordsOptions {
  /** The data table the records are rows of. */
  dataTableId?: string;
  /** Called with each record as it is written (counting, reference checks, progress). */
  observe?: (record: unknown) => void;
  /**
   * A sliced backup's say after each page of records is written: it may `cut` the entry there (its
   * bytes so far handed to the writer, between two parts), save where everything stands, and end
   * the slice by throwing; the entry goes on in a new part if it returns.
   */
  afterPage?: (cut: () => Promise<void>) => Promise<void>;
  /** The first chunk's number for addRecordsInEntries (a sliced backup takes up a table's chunks). */
  firstChunk?: number;
}

/** Where a builder stands between two slices of a backup: the entries written, and the one cut mid-way. */
export interface BuilderState {
  entries: ManifestEntry[];
  open?: OpenEntryState;
}

interface OpenEntryState {
  name: string;
  resource: string;
  dataTableId?: string;
  records: number;
  size: number;
  hash: Sha256State;
}

/**
 * A record already serialized, written as it is: a line of an earlier archive, verified against
 * that archive's digest, copied without parsing it and writing it again.
 */
export class JsonLine {
  constructor(readonly text: string) {}
}

/**
 * Writes NDJSON entries through an ArchiveWriter, hashing each as it streams; the manifest goes
 * last. Over a PausableArchiveWriter (`ArchiveBuilder.sliced`) an entry can be cut between two
 * pages of records and taken up by another process (`state()`, then `sliced(writer, state)`).
 */
export class ArchiveBuilder {
  private readonly entries: ManifestEntry[] = [];
  /** An entry cut between two parts: the next write of its name continues it. */
  private open: NdjsonEntry | undefined;

  constructor(
    private readonly writer: ArchiveWriter,
    private readonly pausable?: PausableArchiveWriter,
  ) {}

  /** A builder whose entries can be cut and taken up in another process, from `state` when given. */
  static sliced(writer: PausableArchiveWriter, state?: BuilderState): ArchiveBuilder {
    const builder = new ArchiveBuilder(writer, writer);
    if (state) {
      builder.entries.push(...state.entries);
      if (state.open) builder.open = NdjsonEntry.resumed(writer, state.open);
    }
    return builder;
  }

  /** Where the builder stands; only between parts (after a cut), when every byte is the writer's. */
  state(): BuilderState {
    if (this.open && !this.open.isCut) throw new Error(`the entry ${this.open.name} is being written`);
    return { entries: [...this.entries], ...(this.open ? { open: this.open.state() } : {}) };
  }

  /** Writes all of `records` as one entry (an empty listing still gets its entry). */
  async addRecords(
    name: string,
    resource: string,
    records: AsyncIterable<unknown> | Iterable<unknown>,
    options: RecordsOptions = {},
  ): Promise<ManifestEntry> {
    const [entry] = await this.write(() => name, resource, records, Number.POSITIVE_INFINITY, options);
    return entry ?? this.closeEntry(this.takeOpen(name) ?? this.openEntry(name, resource, options));
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
    const first = options.firstChunk ?? 1;
    let entry: NdjsonEntry | undefined = this.takeOpen(nameOf(first));
    const cut = async () => {
      if (entry) await entry.cutPart(this.requirePausable());
    };
    try {
      for await (const page of pagesOf(records)) {
        for (const record of page) {
          entry ??= this.openEntry(nameOf(first + written.length), resource, options);
          options.observe?.(record);
          const pushedBack = entry.write(record);
          if (pushedBack) await pushedBack;
          if (entry.records >= perEntry) {
            written.push(await this.closeEntry(entry));
            entry = undefined;
          }
        }
        if (options.afterPage) {
          this.open = entry;
          await options.afterPage(cut);
          this.open = undefined;
        }
      }
      if (entry) written.push(await this.closeEntry(entry));
    } catch (error) {
      if (!entry?.isCut) entry?.fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    return written;
  }

  /** The entry cut mid-way in an earlier slice, when it is the one named. */
  private takeOpen(name: string): NdjsonEntry | undefined {
    const open = this.open;
    if (!open) return undefined;
    if (open.name !== name)
      throw new Error(`the entry ${open.name} was cut mid-way; ${name} cannot come first`);
    this.open = undefined;
    return open;
  }

  private requirePausable(): PausableArchiveWriter {
    if (!this.pausable) throw new Error('only a sliced backup cuts an entry');
    return this.pausable;
  }

  private openEntry(name: string, resource: string, options: RecordsOptions): NdjsonEntry {
    return new NdjsonEntry(this.writer, name, resource, options.dataTableId, this.pausable !== undefined);
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

/** An entry's SHA-256: node:crypto's, or for a sliced backup one whose state can be saved. */
interface EntryHash {
  update(chunk: Buffer): void;
  digestHex(): string;
}

function nativeHash(): EntryHash {
  const hash = createHash('sha256');
  return { update: (chunk) => hash.update(chunk), digestHex: () => hash.digest('hex') };
}

/** One NDJSON entry being written: lines batched, hashed and counted on their way to the writer. */
class NdjsonEntry {
  records = 0;
  private size = 0;
  private readonly hash: EntryHash;
  /** Lines are encoded straight into this buffer: no buffer per line, no copy to join them. */
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private batchBytes = 0;
  /** Room for a few batches, so a short stall of the compressor does not hold n8n's pages back. */
  private content!: PassThrough;
  private added!: Promise<void>;
  /** Rejects when the writer stops taking this entry: waiting for room must not outlive it. */
  private stopped!: Promise<never>;
  /** Between two parts: its bytes so far are the writer's, and the next write starts a part. */
  isCut = false;

  constructor(
    private readonly writer: ArchiveWriter,
    readonly name: string,
    private readonly resource: string,
    private readonly dataTableId: string | undefined,
    resumableHash: boolean,
    resumed?: OpenEntryState,
  ) {
    this.hash = resumed ? Sha256.resume(resumed.hash) : resumableHash ? Sha256.create() : nativeHash();
    if (resumed) {
      this.records = resumed.records;
      this.size = resumed.size;
      this.isCut = true;
    } else this.startPart();
  }

  static resumed(writer: PausableArchiveWriter, state: OpenEntryState): NdjsonEntry {
    return new NdjsonEntry(writer, state.name, state.resource, state.dataTableId, true, state);
  }

  private startPart(): void {
    const name = this.name;
    this.isCut = false;
    this.content = new PassThrough({ highWaterMark: 4 * BATCH_BYTES });
    this.added = this.writer.addEntry(name, this.content);
    // Observed by close(); a failure before then must not go unhandled.
    this.added.catch(() => {});
    this.stopped = this.added.then(() => {
      throw new Error(`the archive writer finished ${name} before it was complete`);
    });
    this.stopped.catch(() => {});
  }

  /** Ends the current part: every byte so far is the writer's; the entry stays open. */
  async cutPart(writer: PausableArchiveWriter): Promise<void> {
    if (this.isCut) return;
    this.flush();
    writer.endPart();
    this.content.end();
    await this.added;
    this.isCut = true;
  }

  state(): OpenEntryState {
    if (!(this.hash instanceof Sha256)) throw new Error('only a sliced backup saves an entry mid-way');
    return {
      name: this.name,
      resource: this.resource,
      ...(this.dataTableId !== undefined ? { dataTableId: this.dataTableId } : {}),
      records: this.records,
      size: this.size,
      hash: this.hash.state(),
    };
  }

  /** Adds one record; returns a promise only when the writer wants the caller to wait. */
  write(record: unknown): Promise<void> | undefined {
    if (this.isCut) this.startPart();
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
    if (this.isCut) this.startPart();
    this.flush();
    this.content.end();
    await this.added;
    return {
      name: this.name,
      resource: this.resource,
      sha256: this.hash.digestHex(),
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
