/**
 * Archive format v1 (docs/ARCHIVE-FORMAT.md): a zip of NDJSON entries, one per resource, with
 * `manifest.json` last, carrying the SHA-256 and size of every other entry.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { pagesOf } from './async-iterables.js';
import { ArchiveIntegrityError, UnsupportedArchiveFormatError } from './errors.js';
import type { ArchiveReader, ArchiveWriter } from './ports.js';

export const ARCHIVE_FORMAT = 'n8n-ark-archive';
export const FORMAT_VERSION = 1;
export const MANIFEST_ENTRY = 'manifest.json';
export const ROWS_PER_CHUNK = 10_000;

export const ENTRY = {
  users: 'users.ndjson',
  projects: 'projects.ndjson',
  folders: 'folders.ndjson',
  tags: 'tags.ndjson',
  variables: 'variables.ndjson',
  credentials: 'credentials.ndjson',
  dataTables: 'data-tables.ndjson',
  workflows: 'workflows.ndjson',
  dataTableRows: (tableId: string, chunk: number) =>
    `data-tables/${tableId}/rows-${String(chunk).padStart(6, '0')}.ndjson`,
} as const;

const manifestEntrySchema = z.object({
  name: z.string().min(1),
  resource: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  dataTableId: z.string().optional(),
});

const manifestSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  tool: z.object({ name: z.literal('n8n-ark'), version: z.string() }),
  source: z.object({ url: z.string(), instance: z.string(), n8nVersion: z.string().nullable() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  counts: z.record(z.string(), z.number().int().nonnegative()),
  entries: z.array(manifestEntrySchema),
  skipped: z.array(
    z.object({
      resource: z.string(),
      reason: z.string(),
      feature: z.string().optional(),
      scope: z.string().optional(),
    }),
  ),
  warnings: z.array(
    z.object({
      code: z.string(),
      message: z.string(),
      workflow: z.object({ id: z.string(), name: z.string() }).optional(),
      node: z.string().optional(),
    }),
  ),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;
export type SkippedResource = Manifest['skipped'][number];
export type ArchiveWarning = Manifest['warnings'][number];

/** Validates a parsed manifest; a different format or version is refused before anything else is read. */
export function parseManifest(json: unknown): Manifest {
  if (typeof json !== 'object' || json === null) {
    throw new ArchiveIntegrityError('manifest.json is not a JSON object', { entry: MANIFEST_ENTRY });
  }
  const header = json as { format?: unknown; formatVersion?: unknown };
  if (header.format !== ARCHIVE_FORMAT) {
    throw new UnsupportedArchiveFormatError(
      `not an n8n-ark archive: manifest.json has format ${JSON.stringify(header.format)}, expected "${ARCHIVE_FORMAT}"`,
      { formatVersion: header.formatVersion },
    );
  }
  if (header.formatVersion !== FORMAT_VERSION) {
    throw new UnsupportedArchiveFormatError(
      `archive format version ${JSON.stringify(header.formatVersion)} is not supported by this n8n-ark (it reads version ${FORMAT_VERSION}); use the n8n-ark version that wrote it, or a newer one`,
      { formatVersion: header.formatVersion },
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArchiveIntegrityError(
      `manifest.json is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      { entry: MANIFEST_ENTRY },
    );
  }
  return parsed.data;
}

export interface RecordsOptions {
  /** The data table the records are rows of. */
  dataTableId?: string;
  /** Called with each record as it is written (counting, reference checks, progress). */
  observe?: (record: unknown) => void;
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
    const line = `${JSON.stringify(record)}\n`;
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

export interface VerifyReport {
  ok: boolean;
  manifest: Manifest | null;
  problems: { entry: string; problem: string }[];
  entriesChecked: number;
  bytesChecked: number;
}

export interface OpenedArchive {
  readonly manifest: Manifest;
  entriesOf(resource: string): ManifestEntry[];
  records<T = unknown>(name: string): AsyncIterable<T>;
  verify(): Promise<VerifyReport>;
}

async function readAll(stream: Readable, entry: string, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ArchiveIntegrityError(`${entry} is larger than ${limit} bytes`, { entry });
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** Reads and validates the manifest; entries are read (and checked) only when asked for. */
export async function openArchive(reader: ArchiveReader): Promise<OpenedArchive> {
  if (!reader.entries().some((e) => e.name === MANIFEST_ENTRY)) {
    throw new ArchiveIntegrityError(
      'the archive has no manifest.json: it is not an n8n-ark archive or it was cut short',
      {
        entry: MANIFEST_ENTRY,
      },
    );
  }
  const raw = await readAll(await reader.openEntry(MANIFEST_ENTRY), MANIFEST_ENTRY, 64 * 1024 * 1024);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ArchiveIntegrityError(
      'manifest.json is not valid JSON',
      { entry: MANIFEST_ENTRY },
      { cause: error },
    );
  }
  const manifest = parseManifest(json);
  const byName = new Map(manifest.entries.map((e) => [e.name, e]));

  async function* records<T>(name: string): AsyncGenerator<T> {
    const expected = byName.get(name);
    if (!expected) throw new ArchiveIntegrityError(`${name} is not listed in the manifest`, { entry: name });
    const hash = createHash('sha256');
    let size = 0;
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let lineNumber = 0;
    const parse = (line: string): T => {
      lineNumber += 1;
      try {
        return JSON.parse(line) as T;
      } catch (error) {
        throw new ArchiveIntegrityError(
          `${name} line ${lineNumber} is not valid JSON`,
          { entry: name },
          { cause: error },
        );
      }
    };
    for await (const chunk of await reader.openEntry(name)) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.length;
      pending += decoder.write(bytes);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.length > 0) yield parse(line);
        newline = pending.indexOf('\n');
      }
    }
    pending += decoder.end();
    if (pending.length > 0) yield parse(pending);
    const digest = hash.digest('hex');
    if (size !== expected.size || digest !== expected.sha256) {
      throw new ArchiveIntegrityError(
        `${name} does not match the manifest (${size} bytes, sha256 ${digest.slice(0, 12)}…; expected ${expected.size} bytes, ${expected.sha256.slice(0, 12)}…): the archive was altered or damaged`,
        { entry: name },
      );
    }
  }

  async function verify(): Promise<VerifyReport> {
    const problems: VerifyReport['problems'] = [];
    const inZip = new Map(reader.entries().map((e) => [e.name, e]));
    let entriesChecked = 0;
    let bytesChecked = 0;
    for (const expected of manifest.entries) {
      if (!inZip.has(expected.name)) {
        problems.push({
          entry: expected.name,
          problem: 'listed in the manifest but missing from the archive',
        });
        continue;
      }
      try {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of await reader.openEntry(expected.name)) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
        bytesChecked += size;
        const digest = hash.digest('hex');
        if (size !== expected.size) {
          problems.push({
            entry: expected.name,
            problem: `size ${size} bytes, manifest says ${expected.size}`,
          });
        } else if (digest !== expected.sha256) {
          problems.push({
            entry: expected.name,
            problem: `sha256 ${digest} does not match the manifest's ${expected.sha256}`,
          });
        }
      } catch (error) {
        problems.push({ entry: expected.name, problem: (error as Error).message });
      }
      entriesChecked += 1;
    }
    for (const name of inZip.keys()) {
      if (name !== MANIFEST_ENTRY && !byName.has(name)) {
        problems.push({ entry: name, problem: 'present in the archive but not listed in the manifest' });
      }
    }
    return { ok: problems.length === 0, manifest, problems, entriesChecked, bytesChecked };
  }

  return {
    manifest,
    entriesOf: (resource) => manifest.entries.filter((e) => e.resource === resource),
    records,
    verify,
  };
}
