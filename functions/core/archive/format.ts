/**
 * Archive format v1 (docs/ARCHIVE-FORMAT.md): a zip of NDJSON entries, one per resource, with
 * `manifest.json` last, carrying the SHA-256 and size of every other entry.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { ArchiveIntegrityError } from '../errors.js';
import type { ArchiveReader } from '../ports.js';
import {
  entryAltered,
  lineTooLong,
  manifestMalformed,
  notAnArchive,
  notUtf8,
  unsupportedVersion,
} from './errors.js';
import { parseArchiveJson } from './json-text.js';
import { Utf8Check } from './utf8.js';

export const ARCHIVE_FORMAT = 'n8n-ark-archive';
export const FORMAT_VERSION = 1;
export const MANIFEST_ENTRY = 'manifest.json';
export const ROWS_PER_CHUNK = 10_000;
/**
 * The longest NDJSON line read: 256 Mi characters, far above n8n's own payload limit (16 MiB by
 * default), so only a damaged or hostile archive reaches it.
 */
export const MAX_LINE_CHARS = 256 * 1024 * 1024;

const manifestEntrySchema = z.object({
  name: z.string().min(1),
  resource: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  dataTableId: z.string().optional(),
});

const archivedCommunityPackageSchema = z.object({
  name: z.string().min(1),
  version: z.string(),
  nodes: z.array(z.object({ type: z.string(), name: z.string(), latestVersion: z.number().optional() })),
});

const danglingReferenceSchema = z.object({
  /** The workflow holding the reference. */
  workflow: z.string(),
  /** What it refers to: `credential`, `dataTable`, `workflow`, `errorWorkflow` or `callerId`. */
  kind: z.string(),
  /** The id it names (`''` when it names none). */
  id: z.string(),
  /** Where in the workflow, e.g. `nodes["Call"].parameters.workflowId.value`. */
  location: z.string(),
});

const manifestSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  tool: z.object({ name: z.literal('n8n-ark'), version: z.string() }),
  source: z.object({
    url: z.string(),
    instance: z.string(),
    /** As the source stated it (a package export's manifest); null when it could not be learned. */
    n8nVersion: z.string().nullable(),
    /** Why `n8nVersion` is null; archives before n8n-ark recorded versions have neither. */
    n8nVersionNote: z.string().optional(),
  }),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** The newest saved versions kept per workflow (`backup --history`), when the entry was written. */
  historyVersions: z.number().int().nonnegative().optional(),
  /** An incremental backup: what it copied from the previous archive (read then, never needed after). */
  incremental: z
    .object({
      previousArchive: z.string(),
      workflowsReused: z.number().int().nonnegative(),
      versionsReused: z.number().int().nonnegative(),
    })
    .optional(),
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
  /**
   * Every reference the backup found pointing at nothing on the source (each also has a
   * `dangling-reference` warning): a restore accepts these unresolved, and refuses any other as
   * corruption. Absent in archives written before n8n-ark listed them (then the warnings say).
   */
  danglingReferences: z.array(danglingReferenceSchema).optional(),
  /**
   * The source's installed community packages (GET /community-packages). Absent when they could not
   * be read (then `skipped` says why) and in archives written before n8n-ark recorded them.
   */
  communityPackages: z.array(archivedCommunityPackageSchema).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;
export type SkippedResource = Manifest['skipped'][number];
export type ArchiveWarning = Manifest['warnings'][number];
export type ArchivedCommunityPackage = z.infer<typeof archivedCommunityPackageSchema>;
export type DanglingReference = z.infer<typeof danglingReferenceSchema>;

/** Validates a parsed manifest; a different format or version is refused before anything else is read. */
export function parseManifest(json: unknown): Manifest {
  if (typeof json !== 'object' || json === null) {
    throw new ArchiveIntegrityError('manifest.json is not a JSON object', { entry: MANIFEST_ENTRY });
  }
  const header = json as { format?: unknown; formatVersion?: unknown };
  if (header.format !== ARCHIVE_FORMAT) throw notAnArchive(header, ARCHIVE_FORMAT);
  if (header.formatVersion !== FORMAT_VERSION) throw unsupportedVersion(header, FORMAT_VERSION);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw manifestMalformed(MANIFEST_ENTRY, parsed.error.issues[0]);
  return parsed.data;
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
  /** The entry's lines as text, unparsed; the digest is checked when the entry ends, as for records. */
  lines(name: string): AsyncIterable<string>;
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
export async function openArchive(
  reader: ArchiveReader,
  options: { maxLineChars?: number } = {},
): Promise<OpenedArchive> {
  return new ManifestedArchive(reader, await readManifest(reader), options.maxLineChars ?? MAX_LINE_CHARS);
}

async function readManifest(reader: ArchiveReader): Promise<Manifest> {
  if (!reader.entries().some((e) => e.name === MANIFEST_ENTRY)) {
    throw new ArchiveIntegrityError(
      'the archive has no manifest.json: it is not an n8n-ark archive or it was cut short',
      { entry: MANIFEST_ENTRY },
    );
  }
  const raw = await readAll(await reader.openEntry(MANIFEST_ENTRY), MANIFEST_ENTRY, 64 * 1024 * 1024);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw notUtf8(MANIFEST_ENTRY, MANIFEST_ENTRY, 0);
  }
  return parseManifest(parseArchiveJson(text, MANIFEST_ENTRY, MANIFEST_ENTRY));
}

/** An archive read through its manifest: every entry is checked against its digest as it streams. */
class ManifestedArchive implements OpenedArchive {
  private readonly byName: Map<string, ManifestEntry>;

  constructor(
    private readonly reader: ArchiveReader,
    readonly manifest: Manifest,
    private readonly maxLineChars: number,
  ) {
    this.byName = new Map(manifest.entries.map((e) => [e.name, e]));
  }

  entriesOf(resource: string): ManifestEntry[] {
    return this.manifest.entries.filter((e) => e.resource === resource);
  }

  /** The entry's records, one per NDJSON line; the digest is checked when the entry ends. */
  async *records<T>(name: string): AsyncGenerator<T> {
    for await (const line of this.numberedLines(name)) yield parseLine<T>(name, line);
  }

  async *lines(name: string): AsyncGenerator<string> {
    for await (const line of this.numberedLines(name)) yield line.text;
  }

  private async *numberedLines(name: string): AsyncGenerator<{ text: string; number: number }> {
    const expected = this.byName.get(name);
    if (!expected) throw new ArchiveIntegrityError(`${name} is not listed in the manifest`, { entry: name });
    const hash = createHash('sha256');
    let size = 0;
    const lines = new LineSplitter(name, this.maxLineChars);
    const utf8 = new Utf8Check(name);
    for await (const chunk of await this.reader.openEntry(name)) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.length;
      utf8.push(bytes);
      yield* lines.push(bytes);
    }
    utf8.end();
    yield* lines.end();
    const digest = hash.digest('hex');
    if (size !== expected.size || digest !== expected.sha256)
      throw entryAltered(name, { size, digest }, expected);
  }

  async verify(): Promise<VerifyReport> {
    const problems: VerifyReport['problems'] = [];
    const inZip = new Set(this.reader.entries().map((e) => e.name));
    let entriesChecked = 0;
    let bytesChecked = 0;
    for (const expected of this.manifest.entries) {
      if (!inZip.has(expected.name)) {
        problems.push({
          entry: expected.name,
          problem: 'listed in the manifest but missing from the archive',
        });
        continue;
      }
      const checked = await this.checkBytes(expected);
      bytesChecked += checked.size;
      if (checked.problem) problems.push({ entry: expected.name, problem: checked.problem });
      entriesChecked += 1;
    }
    for (const name of inZip) {
      if (name !== MANIFEST_ENTRY && !this.byName.has(name))
        problems.push({ entry: name, problem: 'present in the archive but not listed in the manifest' });
    }
    if (this.reader.checkContainer) problems.push(...(await this.reader.checkContainer()));
    return { ok: problems.length === 0, manifest: this.manifest, problems, entriesChecked, bytesChecked };
  }

  private async checkBytes(expected: ManifestEntry): Promise<{ size: number; problem?: string }> {
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of await this.reader.openEntry(expected.name)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (error) {
      return { size, problem: (error as Error).message };
    }
    const digest = hash.digest('hex');
    if (size !== expected.size)
      return { size, problem: `size ${size} bytes, manifest says ${expected.size}` };
    if (digest !== expected.sha256)
      return { size, problem: `sha256 ${digest} does not match the manifest's ${expected.sha256}` };
    return { size };
  }
}

/** A line that is not JSON (or nests too deep to use) is an integrity error naming the entry and the line. */
function parseLine<T>(entry: string, line: { text: string; number: number }): T {
  return parseArchiveJson<T>(line.text, entry, `${entry} line ${line.number}`);
}

/**
 * Splits UTF-8 bytes into lines in linear time: each chunk is searched for newlines once, and a
 * line longer than a chunk is gathered in parts and joined once (pinned data makes 16 MiB lines).
 * Empty lines are passed over and not counted.
 */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private parts: string[] = [];
  private pending = 0;
  private lineNumber = 0;

  constructor(
    private readonly entry: string,
    private readonly maxLineChars: number,
  ) {}

  push(bytes: Buffer): { text: string; number: number }[] {
    return this.split(this.decoder.write(bytes));
  }

  end(): { text: string; number: number }[] {
    const lines = this.split(this.decoder.end());
    const last = this.parts.join('');
    this.parts = [];
    if (last.length > 0) lines.push(this.numbered(last));
    return lines;
  }

  private split(text: string): { text: string; number: number }[] {
    const lines: { text: string; number: number }[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.parts.push(text.slice(start, newline));
      const line = this.parts.join('');
      this.parts = [];
      this.pending = 0;
      if (line.length > 0) lines.push(this.numbered(line));
      start = newline + 1;
    }
    if (start < text.length) {
      this.parts.push(text.slice(start));
      this.pending += text.length - start;
      if (this.pending > this.maxLineChars)
        throw lineTooLong(this.entry, this.lineNumber + 1, this.maxLineChars);
    }
    return lines;
  }

  private numbered(text: string): { text: string; number: number } {
    this.lineNumber += 1;
    return { text, number: this.lineNumber };
  }
}
