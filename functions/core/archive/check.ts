/**
 * Judging an archive whole before anything is written: every line of every entry is parsed against
 * its kind's record schema (streamed, so memory stays flat but for ids, keys and names), each
 * entry's `records` and each resource's `counts` in the manifest are checked against what was read,
 * and the records are judged across the archive as each kind declares them (consistency.ts): ids
 * and natural keys unique, what n8n would refuse, references that land (or were declared dangling),
 * names that agree, trees without cycles, every kind present or absent for a stated reason. Rows
 * name a table of the archive and hold its columns' types. Reading an entry also checks its SHA-256,
 * its UTF-8 and each line's nesting (format.ts).
 */
import { ArchiveIntegrityError } from '../errors.js';
import type { ArchiveEntrySpec } from '../kinds/kind.js';
import { Consistency, type ContentProblem, kindsAccountedFor } from './consistency.js';
import { ENTRY_SPECS } from './entries.js';
import type { ManifestEntry, OpenedArchive } from './format.js';
import { parseArchiveJson } from './json-text.js';

export type { ContentProblem } from './consistency.js';

/** At most this many problems are collected: the first ones say enough, and a hostile archive cannot grow the list. */
const MAX_PROBLEMS = 50;
const ROW_FIELDS_SET_BY_N8N = new Set(['id', 'createdAt', 'updatedAt']);

interface Seen {
  records: Map<string, number>;
  /** data table id → column name → column type */
  tableColumns: Map<string, Map<string, string>>;
  consistency: Consistency;
  /** Entries per resource not read yet: a resource is complete when none is left. */
  unread: Map<string, number>;
}

/** What a cell of each column type holds (null in any); the table's own check refuses any other type. */
const CELL_TYPES: Record<string, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number',
  boolean: (value) => typeof value === 'boolean',
  date: (value) => typeof value === 'string' && !Number.isNaN(Date.parse(value)),
};

/** Where a record was read and how large its line is (UTF-8 bytes), for a caller that weighs records. */
export interface RecordPlace {
  entry: ManifestEntry;
  line: number;
  bytes: number;
}

/** Takes each record that passed, rows included, as the check reads it. */
export type RecordObserver = (resource: string, record: unknown, place: RecordPlace) => void;

/** `observe` is handed every record that passed, so a caller can read the archive in the same pass. */
export async function checkArchiveContent(
  archive: OpenedArchive,
  observe?: RecordObserver,
): Promise<ContentProblem[]> {
  const problems: ContentProblem[] = kindsAccountedFor(archive.manifest);
  const seen: Seen = {
    records: new Map(),
    tableColumns: new Map(),
    consistency: new Consistency(archive.manifest),
    unread: new Map(),
  };
  for (const entry of archive.manifest.entries)
    seen.unread.set(entry.resource, (seen.unread.get(entry.resource) ?? 0) + 1);
  // Tables before their rows, so each row can be checked against its table's columns.
  const entries = [...archive.manifest.entries].sort(
    (a, b) => Number(a.resource === 'dataTableRows') - Number(b.resource === 'dataTableRows'),
  );
  for (const entry of entries) {
    if (problems.length >= MAX_PROBLEMS) break;
    const spec = ENTRY_SPECS.get(entry.resource);
    if (!spec) {
      problems.push({ entry: entry.name, problem: `its resource "${entry.resource}" is none n8n-ark knows` });
      continue;
    }
    const expectedName = nameOf(entry, spec);
    if (entry.name !== expectedName) {
      problems.push({ entry: entry.name, problem: `entries of ${entry.resource} are named ${expectedName}` });
      continue;
    }
    await checkEntry(archive, entry, spec, seen, problems, observe);
    const left = (seen.unread.get(entry.resource) ?? 1) - 1;
    seen.unread.set(entry.resource, left);
    if (left === 0) seen.consistency.finished(entry.resource);
  }
  checkCounts(archive, seen, problems);
  problems.push(...seen.consistency.finish());
  return problems.slice(0, MAX_PROBLEMS);
}

async function checkEntry(
  archive: OpenedArchive,
  entry: ManifestEntry,
  spec: ArchiveEntrySpec,
  seen: Seen,
  problems: ContentProblem[],
  observe?: RecordObserver,
): Promise<void> {
  const rows = entry.resource === 'dataTableRows';
  const columns = rows ? seen.tableColumns.get(entry.dataTableId ?? '') : undefined;
  if (rows && !columns) {
    problems.push({
      entry: entry.name,
      problem: `its rows belong to data table ${JSON.stringify(entry.dataTableId)}, which the archive does not have`,
    });
    return;
  }
  let line = 0;
  try {
    // Lines, parsed here as `records` parses them, so each record's size is known.
    for await (const text of archive.lines(entry.name)) {
      line += 1;
      const record = parseArchiveJson<unknown>(text, entry.name, `${entry.name} line ${line}`);
      const problem = checkRecord(entry, spec, record, line, columns, seen);
      if (problem) {
        problems.push({ entry: entry.name, problem: `line ${line}: ${problem}` });
        return;
      }
      observe?.(entry.resource, record, { entry, line, bytes: Buffer.byteLength(text) });
    }
  } catch (error) {
    if (!(error instanceof ArchiveIntegrityError)) throw error;
    problems.push({ entry: entry.name, problem: error.message });
    return;
  }
  seen.records.set(entry.resource, (seen.records.get(entry.resource) ?? 0) + line);
  if (line !== entry.records)
    problems.push({
      entry: entry.name,
      problem: `holds ${line} record(s); the manifest says ${entry.records}`,
    });
}

/** The name archive format v1 gives an entry of this resource (chunks: by their parent's id and number). */
function nameOf(entry: ManifestEntry, spec: ArchiveEntrySpec): string {
  if (typeof spec.name === 'string') return spec.name;
  const chunk = /-(\d{6})\.ndjson$/.exec(entry.name)?.[1];
  return spec.name(entry.dataTableId ?? '', Number(chunk ?? 0));
}

/** What is wrong with one record, or undefined; remembers what the checks across records need. */
function checkRecord(
  entry: ManifestEntry,
  spec: ArchiveEntrySpec,
  record: unknown,
  line: number,
  columns: Map<string, string> | undefined,
  seen: Seen,
): string | undefined {
  const parsed = spec.record.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || '(record)'}: ${issue?.message ?? 'invalid'}`;
  }
  const value = record as Record<string, unknown>;
  if (columns) return checkRow(value, columns);
  const problem = seen.consistency.record(entry, spec, record, line);
  if (problem) return problem;
  if (entry.resource === 'dataTables')
    seen.tableColumns.set(
      String(value.id),
      new Map((value.columns as { name: string; type: string }[]).map((c) => [c.name, c.type])),
    );
  return undefined;
}

/** A row holds only its table's columns, each cell of the column's type. */
function checkRow(row: Record<string, unknown>, columns: Map<string, string>): string | undefined {
  for (const [key, cell] of Object.entries(row)) {
    if (ROW_FIELDS_SET_BY_N8N.has(key)) continue;
    const type = columns.get(key);
    if (type === undefined) return `${key}: not a column of its data table`;
    const fits = CELL_TYPES[type];
    if (cell !== null && fits && !fits(cell))
      return `${key}: ${JSON.stringify(cell).slice(0, 80)} is not a ${type}`;
  }
  return undefined;
}

/** The manifest's counts per resource must be what its entries hold. */
function checkCounts(archive: OpenedArchive, seen: Seen, problems: ContentProblem[]): void {
  for (const [resource, count] of Object.entries(archive.manifest.counts)) {
    const read = seen.records.get(resource) ?? 0;
    if (read !== count)
      problems.push({
        entry: 'manifest.json',
        problem: `counts.${resource} is ${count}, but its entries hold ${read}`,
      });
  }
}
