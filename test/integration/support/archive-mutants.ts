/**
 * Mutants of a real n8n-ark zip archive for the archive fuzz test: damage to the container (flipped
 * bytes, truncation), to its entries (deleted, duplicated, extra, renamed), to the manifest (counts,
 * records, sizes, digests, resources, names, invalid JSON) and to the content with the digests
 * recomputed, so that only the content checks can catch it (wrong types, missing fields, invalid
 * lines, duplicate ids, broken references inside the archive). Each mutant is drawn from its own
 * seeded generator, so one can be rebuilt from the seed and its index alone.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { openZipArchive } from '../../../functions/adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../../functions/adapters/zip-archive-writer.js';
import { createRandom, type Random } from '../../double/prng.js';

/** A mutant is either raw zip bytes or a list of entries to be zipped (in this order). */
export interface Mutant {
  kind: string;
  detail: string;
  bytes?: Buffer;
  entries?: [string, Buffer][];
}

export interface BaseArchive {
  zip: Buffer;
  /** The archive's entries in zip order, manifest.json last. */
  entries: [string, Buffer][];
}

type JsonRecord = Record<string, unknown>;
interface ManifestLike {
  counts: Record<string, number>;
  entries: {
    name: string;
    resource: string;
    sha256: string;
    size: number;
    records: number;
    dataTableId?: string;
  }[];
  [field: string]: unknown;
}

const MANIFEST = 'manifest.json';

/** Zips entries with the product's own writer, in the order given. */
export async function zipEntries(entries: readonly [string, Buffer][]): Promise<Buffer> {
  const writer = createZipArchiveWriter();
  const parts: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    writer.output.on('data', (chunk: Buffer) => parts.push(chunk));
    writer.output.on('end', () => resolve(Buffer.concat(parts)));
    writer.output.on('error', reject);
  });
  for (const [name, bytes] of entries) await writer.addEntry(name, Readable.from([bytes]));
  await writer.finish();
  return collected;
}

/** A zip's entries, in zip order, read with the product's own reader. */
export async function unzipEntries(zip: Buffer): Promise<[string, Buffer][]> {
  const reader = await openZipArchive({
    size: zip.length,
    readRange: (start, end) => Readable.from([zip.subarray(start, end)]),
    close: async () => {},
  });
  const entries: [string, Buffer][] = [];
  try {
    for (const { name } of reader.entries()) {
      const parts: Buffer[] = [];
      for await (const chunk of await reader.openEntry(name)) parts.push(chunk as Buffer);
      entries.push([name, Buffer.concat(parts)]);
    }
  } finally {
    await reader.close();
  }
  return entries;
}

// ---- small tools

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number): number => Math.floor(random() * below);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const clone = <T>(value: T): T => structuredClone(value);

export function manifestOf(base: BaseArchive): ManifestLike {
  return JSON.parse(base.entries.find(([name]) => name === MANIFEST)![1].toString('utf8')) as ManifestLike;
}

export function withManifest(base: BaseArchive, manifest: unknown): [string, Buffer][] {
  return base.entries.map(([name, bytes]) =>
    name === MANIFEST ? [name, Buffer.from(JSON.stringify(manifest))] : [name, bytes],
  );
}

export function linesOf(bytes: Buffer): string[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/**
 * Replaces an entry's content and recomputes its sha256, size and records in the manifest, so the
 * byte checks pass. `fixCounts` also moves the resource's count by the change in records.
 */
export function rewriteEntry(
  base: BaseArchive,
  name: string,
  content: string,
  records: number,
  options: { fixCounts: boolean; manifest?: ManifestLike } = { fixCounts: true },
): [string, Buffer][] {
  const manifest = options.manifest ?? manifestOf(base);
  const bytes = Buffer.from(content, 'utf8');
  const entry = manifest.entries.find((e) => e.name === name)!;
  if (options.fixCounts && manifest.counts[entry.resource] !== undefined)
    manifest.counts[entry.resource] = manifest.counts[entry.resource]! + records - entry.records;
  Object.assign(entry, { sha256: sha256(bytes), size: bytes.length, records });
  return base.entries.map(([n, b]) => {
    if (n === MANIFEST) return [n, Buffer.from(JSON.stringify(manifest))];
    return n === name ? [n, bytes] : [n, b];
  });
}

export function entryNamed(base: BaseArchive, name: string): Buffer {
  return base.entries.find(([n]) => n === name)![1];
}

/** An entry of the resource with at least one record, or undefined. */
function someEntry(
  random: Random,
  base: BaseArchive,
  resource: string,
): ManifestLike['entries'][number] | undefined {
  const candidates = manifestOf(base).entries.filter((e) => e.resource === resource && e.records > 0);
  return candidates.length === 0 ? undefined : pick(random, candidates);
}

/** Rewrites one record of an entry of `resource` with `edit`, digests recomputed. */
function editRecord(
  random: Random,
  base: BaseArchive,
  resource: string,
  edit: (record: JsonRecord) => string,
): { entries: [string, Buffer][]; detail: string } | undefined {
  const entry = someEntry(random, base, resource);
  if (!entry) return undefined;
  const lines = linesOf(entryNamed(base, entry.name));
  const at = int(random, lines.length);
  const record = JSON.parse(lines[at]!) as JsonRecord;
  const detail = `${entry.name} line ${at + 1}: ${edit(record)}`;
  lines[at] = JSON.stringify(record);
  return { entries: rewriteEntry(base, entry.name, `${lines.join('\n')}\n`, lines.length), detail };
}

/** Sets `path` (dot-separated, numeric parts index arrays) in a record; `undefined` deletes it. */
function setPath(record: JsonRecord, path: string, value: unknown): boolean {
  const parts = path.split('.');
  let at: unknown = record;
  for (const part of parts.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return false;
    at = (at as JsonRecord)[part];
  }
  if (typeof at !== 'object' || at === null) return false;
  const last = parts.at(-1)!;
  if (value === undefined) delete (at as JsonRecord)[last];
  else (at as JsonRecord)[last] = value;
  return true;
}

/** Field edits per resource: the wrong types and missing fields a content check must catch (or a restore survive). */
const FIELD_EDITS: Record<string, [string, unknown][]> = {
  workflows: [
    ['nodes', 'x'],
    ['nodes', [5]],
    ['nodes.0.type', 5],
    ['nodes.0.name', undefined],
    ['nodes.0.parameters', 'x'],
    ['connections', 5],
    ['connections', []],
    ['settings', 'x'],
    ['name', 5],
    ['name', undefined],
    ['id', undefined],
    ['id', {}],
    ['tags', 'x'],
    ['tags', [{ id: 5 }]],
    ['shared', 5],
    ['shared.0.projectId', undefined],
    ['active', 'yes'],
    ['isArchived', 1],
    ['parentFolderId', 5],
    ['description', 5],
    ['staticData', 'x'],
    ['pinData', 5],
  ],
  dataTables: [
    ['columns', 5],
    ['columns.0.type', 5],
    ['columns.0.name', undefined],
    ['columns.0.index', '0'],
    ['name', 5],
    ['name', undefined],
    ['projectId', 5],
    ['id', null],
  ],
  projects: [
    ['type', 'other'],
    ['members', 5],
    ['members.0.email', 5],
    ['members.0.role', undefined],
    ['name', 5],
    ['id', undefined],
  ],
  folders: [
    ['parentFolderId', 5],
    ['projectId', 5],
    ['projectId', undefined],
    ['name', undefined],
    ['name', []],
  ],
  tags: [
    ['name', 5],
    ['name', undefined],
    ['id', null],
  ],
  variables: [
    ['key', 5],
    ['value', 5],
    ['key', undefined],
    ['project', 'x'],
    ['project.id', undefined],
  ],
  credentials: [
    ['type', 5],
    ['type', undefined],
    ['name', undefined],
    ['shared', 'x'],
    ['shared.0.role', 5],
  ],
  users: [
    ['email', 5],
    ['id', undefined],
  ],
};

const RESOURCES = Object.keys(FIELD_EDITS);

// ---- the mutations, by kind

type Mutation = (random: Random, base: BaseArchive) => Promise<Omit<Mutant, 'kind'> | undefined>;

export const MUTATIONS: Record<string, Mutation> = {
  'byte flip': async (random, base) => {
    const bytes = Buffer.from(base.zip);
    const flips = 1 + int(random, 3);
    const at: number[] = [];
    for (let i = 0; i < flips; i += 1) {
      const offset = int(random, bytes.length);
      bytes[offset] = bytes[offset]! ^ (1 + int(random, 255));
      at.push(offset);
    }
    return { bytes, detail: `flipped bytes at ${at.join(', ')} of ${bytes.length}` };
  },
  truncation: async (random, base) => {
    const length = pick(random, [
      0,
      1,
      22,
      int(random, base.zip.length),
      base.zip.length - 1 - int(random, 64),
    ]);
    return { bytes: base.zip.subarray(0, length), detail: `cut to ${length} of ${base.zip.length} bytes` };
  },
  'garbage appended': async (random, base) => {
    const extra = Buffer.from(Array.from({ length: 1 + int(random, 200) }, () => int(random, 256)));
    return { bytes: Buffer.concat([base.zip, extra]), detail: `${extra.length} bytes appended` };
  },
  'entry deleted': async (random, base) => {
    const [name] = pick(random, base.entries);
    return { entries: base.entries.filter(([n]) => n !== name), detail: `${name} deleted` };
  },
  'entry duplicated': async (random, base) => {
    const [name, bytes] = pick(
      random,
      base.entries.filter(([n]) => n !== MANIFEST),
    );
    const altered = random() < 0.5;
    const copy = altered ? Buffer.concat([bytes, Buffer.from('{"id":"intruder"}\n')]) : bytes;
    const at = base.entries.length - 1;
    const entries: [string, Buffer][] = [
      ...base.entries.slice(0, at),
      [name, copy],
      ...base.entries.slice(at),
    ];
    return { entries, detail: `${name} a second time${altered ? ', altered' : ''}, after the first` };
  },
  'entry not in the manifest': async (random, base) => {
    const name = pick(random, ['extra.ndjson', 'data-tables/x/rows-000001.ndjson', 'tags.ndjson.bak']);
    const entries: [string, Buffer][] = [[name, Buffer.from('{"id":"1"}\n')], ...base.entries];
    return { entries, detail: `${name} added` };
  },
  'odd entry name': async (random, base) => {
    // A well-formed but renamed entry (e.g. a very long name) is left out: the restore reads
    // workflows.ndjson by its fixed name after the check, so it writes before refusing (reported).
    // archiver rewrites such names, so the zip is written under a placeholder of the same length
    // and the name patched into its headers (the CRC-32 covers the data, not the name).
    const manifest = manifestOf(base);
    const entry = pick(random, manifest.entries);
    const [name, placeholder] = pick<[string, string]>(random, [
      ['../x.ndjson', 'QQ/x.ndjson'],
      ['/etc/tags.ndjson', 'Qetc/tags.ndjson'],
      ['C:\\tags.ndjson', 'CQQtags.ndjson'],
      ['data-tables/../../x.ndjson', 'data-tables/QQ/QQ/x.ndjson'],
    ]);
    const old = entry.name;
    entry.name = name;
    const entries = withManifest(base, manifest).map(([n, b]): [string, Buffer] => [
      n === old ? placeholder : n,
      b,
    ]);
    const zip = await zipEntries(entries);
    const from = Buffer.from(placeholder);
    for (let at = zip.indexOf(from); at >= 0; at = zip.indexOf(from, at + from.length))
      Buffer.from(name).copy(zip, at);
    return { bytes: zip, detail: `${old} renamed ${JSON.stringify(name.slice(0, 40))} in zip and manifest` };
  },
  'manifest count edited': async (random, base) => {
    const manifest = manifestOf(base);
    const resource = pick(random, Object.keys(manifest.counts));
    const value = pick(random, [
      manifest.counts[resource]! + 1,
      manifest.counts[resource]! - 1,
      -1,
      1.5,
      '3',
      null,
      2 ** 53,
    ]);
    (manifest.counts as Record<string, unknown>)[resource] = value;
    return { entries: withManifest(base, manifest), detail: `counts.${resource} = ${JSON.stringify(value)}` };
  },
  'manifest entry edited': async (random, base) => {
    const manifest = manifestOf(base);
    const index = int(random, manifest.entries.length);
    const entry = manifest.entries[index] as unknown as JsonRecord;
    const [field, value] = pick<[string, unknown]>(random, [
      ['records', (entry.records as number) + 1],
      ['records', Math.max(0, (entry.records as number) - 1)],
      ['size', (entry.size as number) + 1],
      ['size', 2 ** 53 - 1],
      ['size', -5],
      ['size', 1e308],
      ['sha256', '0'.repeat(64)],
      ['sha256', 'xyz'],
      ['resource', pick(random, RESOURCES)],
      ['resource', 'gadgets'],
      ['resource', 'dataTableRows'],
      ['name', 'nowhere.ndjson'],
      ['name', ''],
      ['dataTableId', 'no-such-table'],
      ['records', undefined],
    ]);
    setPath(entry, field, value);
    return {
      entries: withManifest(base, manifest),
      detail: `entries[${index}].${field} = ${JSON.stringify(value)}`,
    };
  },
  'manifest entry removed or repeated': async (random, base) => {
    const manifest = manifestOf(base);
    const index = int(random, manifest.entries.length);
    const repeated = random() < 0.5;
    const entry = manifest.entries[index]!;
    if (repeated) manifest.entries.push(clone(entry));
    else manifest.entries.splice(index, 1);
    return {
      entries: withManifest(base, manifest),
      detail: `${entry.name} ${repeated ? 'listed twice' : 'unlisted'}`,
    };
  },
  'manifest header edited': async (random, base) => {
    const manifest = manifestOf(base);
    const [field, value] = pick<[string, unknown]>(random, [
      ['format', 'zip'],
      ['format', undefined],
      ['formatVersion', 2],
      ['formatVersion', '1'],
      ['formatVersion', undefined],
      ['tool', undefined],
      ['tool.name', 'other'],
      ['source', 5],
      ['source.url', undefined],
      ['counts', []],
      ['counts', undefined],
      ['entries', {}],
      ['entries', undefined],
      ['skipped', undefined],
      ['warnings', 'x'],
      ['startedAt', 5],
    ]);
    setPath(manifest as JsonRecord, field, value);
    return { entries: withManifest(base, manifest), detail: `${field} = ${JSON.stringify(value)}` };
  },
  'manifest not valid JSON': async (random, base) => {
    const text = JSON.stringify(manifestOf(base));
    const replacement = pick(random, [
      text.slice(0, int(random, text.length)),
      `${text}}`,
      'null',
      '[]',
      '"n8n-ark-archive"',
      '42',
      '',
      `\ufeff${text}`,
      text.replace(/"/, "'"),
    ]);
    const entries = base.entries.map(([n, b]): [string, Buffer] => [
      n,
      n === MANIFEST ? Buffer.from(replacement) : b,
    ]);
    return { entries, detail: `manifest.json is ${JSON.stringify(replacement.slice(0, 30))}…` };
  },
  'record field wrong or missing': async (random, base) => {
    const resource = pick(random, RESOURCES);
    const [path, value] = pick(random, FIELD_EDITS[resource]!);
    return editRecord(random, base, resource, (record) => {
      const applied = setPath(record, path, value);
      return `${resource} ${path} = ${value === undefined ? '(deleted)' : JSON.stringify(value)}${applied ? '' : ' (no such path)'}`;
    });
  },
  'record not an object or not JSON': async (random, base) => {
    const entry = pick(
      random,
      manifestOf(base).entries.filter((e) => e.records > 0),
    );
    const lines = linesOf(entryNamed(base, entry.name));
    const at = int(random, lines.length);
    const line = pick(random, [
      '5',
      '"x"',
      'null',
      '[]',
      'true',
      '{',
      `${lines[at]!.slice(0, -1)}`,
      `\ufeff${lines[at]!}`,
    ]);
    lines[at] = line;
    return {
      entries: rewriteEntry(base, entry.name, `${lines.join('\n')}\n`, lines.length),
      detail: `${entry.name} line ${at + 1} is ${JSON.stringify(line.slice(0, 30))}`,
    };
  },
  'entry emptied': async (random, base) => {
    const fixCounts = random() < 0.5;
    const entry = pick(
      random,
      manifestOf(base).entries.filter((e) => e.records > 0),
    );
    return {
      entries: rewriteEntry(base, entry.name, '', 0, { fixCounts }),
      detail: `${entry.name} emptied, counts ${fixCounts ? 'adjusted' : 'kept'}`,
    };
  },
  'record duplicated': async (random, base) => {
    const entry = pick(
      random,
      manifestOf(base).entries.filter((e) => e.records > 0 && e.resource !== 'dataTableRows'),
    );
    const lines = linesOf(entryNamed(base, entry.name));
    const at = int(random, lines.length);
    const copy = JSON.parse(lines[at]!) as JsonRecord;
    if (random() < 0.5) copy.name = `${String(copy.name)} (copy)`;
    lines.push(JSON.stringify(copy));
    return {
      entries: rewriteEntry(base, entry.name, `${lines.join('\n')}\n`, lines.length),
      detail: `${entry.name} line ${at + 1} again (same id${copy.name ? ', maybe renamed' : ''})`,
    };
  },
  'row breaks its table': async (random, base) => {
    const manifest = manifestOf(base);
    const entry = pick(
      random,
      manifest.entries.filter((e) => e.resource === 'dataTableRows'),
    );
    const variant = int(random, 3);
    if (variant === 0) {
      entry.dataTableId = pick(random, ['missing-table', '', 'users']);
      return {
        entries: withManifest(base, manifest),
        detail: `${entry.name} names table ${entry.dataTableId}`,
      };
    }
    const lines = linesOf(entryNamed(base, entry.name));
    const at = int(random, lines.length);
    const row = JSON.parse(lines[at]!) as JsonRecord;
    if (variant === 1) row[pick(random, ['ghost', 'Name', '__proto__x'])] = 'x';
    else {
      const column = pick(
        random,
        Object.keys(row).filter((k) => !['id', 'createdAt', 'updatedAt'].includes(k)),
      );
      row[column] = pick(random, [{ nested: true }, [1, 2], 'not-a-number', 12345, true]);
    }
    lines[at] = JSON.stringify(row);
    return {
      entries: rewriteEntry(base, entry.name, `${lines.join('\n')}\n`, lines.length, {
        fixCounts: true,
        manifest,
      }),
      detail: `${entry.name} line ${at + 1}: ${variant === 1 ? 'an unknown column' : 'a cell of another type'}`,
    };
  },
  'reference broken': async (random, base) => {
    const variant = pick(random, [
      'workflow tag',
      'folder parent',
      'folder project',
      'workflow folder',
      'variable project',
    ]);
    const edits: Record<string, [string, string, unknown]> = {
      'workflow tag': ['workflows', 'tags', [{ id: 'no-such-tag', name: 'ghost' }]],
      'folder parent': ['folders', 'parentFolderId', 'no-such-folder'],
      'folder project': ['folders', 'projectId', 'no-such-project'],
      'workflow folder': ['workflows', 'parentFolderId', 'no-such-folder'],
      'variable project': ['variables', 'project', { id: 'no-such-project', name: 'Ghost' }],
    };
    const [resource, path, value] = edits[variant]!;
    return editRecord(random, base, resource, (record) => {
      setPath(record, path, value);
      return variant;
    });
  },
  'harmless edit': async (random, base) => {
    const variant = int(random, 5);
    if (variant === 0) {
      const resource = pick(random, RESOURCES);
      return editRecord(random, base, resource, (record) => {
        record.fieldFromALaterN8n = { added: true };
        return `${resource} gains an unknown field`;
      });
    }
    if (variant === 1) {
      const manifest = manifestOf(base) as JsonRecord;
      manifest.writtenBy = { future: 'field' };
      return { entries: withManifest(base, manifest), detail: 'manifest gains an unknown field' };
    }
    if (variant === 2) {
      const entries = [...base.entries];
      const [first] = entries.splice(int(random, entries.length - 1), 1);
      entries.splice(int(random, entries.length), 0, first!);
      return { entries, detail: 'entries in another order (manifest maybe not last)' };
    }
    if (variant === 3) {
      const entry = pick(
        random,
        manifestOf(base).entries.filter((e) => e.records > 0),
      );
      const lines = linesOf(entryNamed(base, entry.name));
      return {
        entries: rewriteEntry(base, entry.name, `\n${lines.join('\r\n\n')}\r\n`, lines.length),
        detail: `${entry.name} with blank lines and CRLF`,
      };
    }
    return { entries: base.entries, detail: 'zipped again unchanged' };
  },
};

export const MUTATION_KINDS = Object.keys(MUTATIONS);

/** Mutant `index` of the run seeded `seed`: kinds in turn, each drawn from its own generator. */
export async function mutant(base: BaseArchive, seed: number, index: number): Promise<Mutant> {
  const kind = MUTATION_KINDS[index % MUTATION_KINDS.length]!;
  const random = createRandom((seed * 1_000_003 + index) >>> 0);
  const made = (await MUTATIONS[kind]!(random, base)) ?? { entries: base.entries, detail: 'nothing to edit' };
  return { kind, ...made };
}
