/**
 * Archive format v1 (docs/ARCHIVE-FORMAT.md): a zip of NDJSON entries, one per resource, with
 * `manifest.json` last, carrying the SHA-256 and size of every other entry.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { ArchiveIntegrityError, UnsupportedArchiveFormatError } from './errors.js';
import type { ArchiveReader } from './ports.js';

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
