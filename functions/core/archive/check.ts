/**
 * Judging an archive whole before anything is written: every line of every entry is parsed against
 * its kind's record schema (streamed, so memory stays flat but for ids), each entry's `records` and
 * each resource's `counts` in the manifest are checked against what was read, ids are unique per
 * kind, and references inside the archive hold (rows name a table of the archive and use its
 * columns, folder parents exist, workflow tags exist, saved versions belong to an archived workflow). Reading an entry also checks its SHA-256.
 */
import type { z } from 'zod';
import { ArchiveIntegrityError } from '../errors.js';
import { KINDS } from '../kinds/index.js';
import { ENTRY, type ManifestEntry, type OpenedArchive } from './format.js';

export interface ContentProblem {
  entry: string;
  problem: string;
}

/** At most this many problems are collected: the first ones say enough, and a hostile archive cannot grow the list. */
const MAX_PROBLEMS = 50;
const ROW_FIELDS_SET_BY_N8N = new Set(['id', 'createdAt', 'updatedAt']);

interface Seen {
  ids: Map<string, Set<string>>;
  records: Map<string, number>;
  /** data table id → column name → column type */
  tableColumns: Map<string, Map<string, string>>;
  folders: { id: string; projectId: string; parentFolderId?: string | null }[];
  workflowTagIds: Set<string>;
  workflowFolderIds: Set<string>;
  variableProjectIds: Set<string>;
  /** The workflows the archived versions belong to. */
  versionWorkflowIds: Set<string>;
}

/** What a cell of each column type holds (null in any); a type n8n adds later is not judged. */
const CELL_TYPES: Record<string, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number',
  boolean: (value) => typeof value === 'boolean',
  date: (value) => typeof value === 'string' && !Number.isNaN(Date.parse(value)),
};

/** `observe` is handed every record that passed (rows excepted), so a caller can read the archive in the same pass. */
export async function checkArchiveContent(
  archive: OpenedArchive,
  observe?: (resource: string, record: unknown) => void,
): Promise<ContentProblem[]> {
  const schemas = new Map<string, z.ZodType>(KINDS.flatMap((kind) => Object.entries(kind.records)));
  const problems: ContentProblem[] = [];
  const seen: Seen = {
    ids: new Map(),
    records: new Map(),
    tableColumns: new Map(),
    folders: [],
    workflowTagIds: new Set(),
    workflowFolderIds: new Set(),
    variableProjectIds: new Set(),
    versionWorkflowIds: new Set(),
  };
  // Tables before their rows, so each row can be checked against its table's columns.
  const entries = [...archive.manifest.entries].sort(
    (a, b) => Number(a.resource === 'dataTableRows') - Number(b.resource === 'dataTableRows'),
  );
  for (const entry of entries) {
    if (problems.length >= MAX_PROBLEMS) break;
    const schema = schemas.get(entry.resource);
    if (!schema) {
      problems.push({ entry: entry.name, problem: `its resource "${entry.resource}" is none n8n-ark knows` });
      continue;
    }
    const expectedName = nameOf(entry);
    if (entry.name !== expectedName) {
      problems.push({ entry: entry.name, problem: `entries of ${entry.resource} are named ${expectedName}` });
      continue;
    }
    await checkEntry(archive, entry, schema, seen, problems, observe);
  }
  checkCounts(archive, seen, problems);
  checkReferences(seen, problems);
  return problems.slice(0, MAX_PROBLEMS);
}

async function checkEntry(
  archive: OpenedArchive,
  entry: ManifestEntry,
  schema: z.ZodType,
  seen: Seen,
  problems: ContentProblem[],
  observe?: (resource: string, record: unknown) => void,
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
    for await (const record of archive.records<unknown>(entry.name)) {
      line += 1;
      const problem = checkRecord(entry, schema, record, columns, seen);
      if (problem) {
        problems.push({ entry: entry.name, problem: `line ${line}: ${problem}` });
        return;
      }
      if (!rows) observe?.(entry.resource, record);
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

/** The name archive format v1 gives an entry of this resource (rows: by table and chunk number). */
function nameOf(entry: ManifestEntry): string {
  if (entry.resource === 'dataTableRows') {
    const chunk = /\/rows-(\d{6})\.ndjson$/.exec(entry.name)?.[1];
    return ENTRY.dataTableRows(entry.dataTableId ?? '', Number(chunk ?? 0));
  }
  const name = (ENTRY as Record<string, unknown>)[entry.resource];
  return typeof name === 'string' ? name : '(none)';
}

/** What is wrong with one record, or undefined; remembers what the cross-reference checks need. */
function checkRecord(
  entry: ManifestEntry,
  schema: z.ZodType,
  record: unknown,
  columns: Map<string, string> | undefined,
  seen: Seen,
): string | undefined {
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || '(record)'}: ${issue?.message ?? 'invalid'}`;
  }
  const value = record as Record<string, unknown>;
  if (columns) {
    for (const [key, cell] of Object.entries(value)) {
      if (ROW_FIELDS_SET_BY_N8N.has(key)) continue;
      const type = columns.get(key);
      if (type === undefined) return `${key}: not a column of its data table`;
      const fits = CELL_TYPES[type];
      if (cell !== null && fits && !fits(cell)) return `${key}: ${JSON.stringify(cell)} is not a ${type}`;
    }
    return undefined;
  }
  // A saved version's own id is its versionId (unique across workflows: n8n's key for history).
  const id = String(entry.resource === 'workflowHistory' ? value.versionId : value.id);
  const ids = seen.ids.get(entry.resource) ?? new Set<string>();
  seen.ids.set(entry.resource, ids);
  if (ids.has(id)) return `id ${JSON.stringify(id)} appears twice among the ${entry.resource}`;
  ids.add(id);
  remember(entry.resource, value, seen);
  return undefined;
}

function remember(resource: string, value: Record<string, unknown>, seen: Seen): void {
  if (resource === 'dataTables')
    seen.tableColumns.set(
      String(value.id),
      new Map((value.columns as { name: string; type: string }[]).map((c) => [c.name, c.type])),
    );
  if (resource === 'folders')
    seen.folders.push({
      id: String(value.id),
      projectId: String(value.projectId),
      parentFolderId: value.parentFolderId as string | null | undefined,
    });
  if (resource === 'workflows') {
    for (const tag of (value.tags as { id: string }[] | undefined) ?? []) seen.workflowTagIds.add(tag.id);
    if (typeof value.parentFolderId === 'string') seen.workflowFolderIds.add(value.parentFolderId);
  }
  if (resource === 'workflowHistory') seen.versionWorkflowIds.add(String(value.workflowId));
  if (resource === 'variables') {
    const project = value.project as { id: string } | null | undefined;
    if (project) seen.variableProjectIds.add(project.id);
  }
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

function checkReferences(seen: Seen, problems: ContentProblem[]): void {
  const folderIds = new Set(seen.folders.map((f) => f.id));
  for (const folder of seen.folders)
    if (folder.parentFolderId && !folderIds.has(folder.parentFolderId))
      problems.push({
        entry: 'folders.ndjson',
        problem: `folder ${folder.id}'s parent ${folder.parentFolderId} is not in the archive`,
      });
  // An entry read but empty still judges references to it; a resource skipped at backup does not.
  const projects = seen.records.has('projects') ? (seen.ids.get('projects') ?? new Set<string>()) : undefined;
  if (projects) {
    for (const folder of seen.folders)
      if (!projects.has(folder.projectId))
        problems.push({
          entry: 'folders.ndjson',
          problem: `folder ${folder.id}'s project ${folder.projectId} is not in the archive`,
        });
    for (const projectId of seen.variableProjectIds)
      if (!projects.has(projectId))
        problems.push({
          entry: 'variables.ndjson',
          problem: `a variable belongs to project ${projectId}, which is not in the archive`,
        });
  }
  // Folders skipped at backup (no licence, no scope) leave workflows' folders unjudged.
  for (const folderId of seen.records.has('folders') ? seen.workflowFolderIds : [])
    if (!folderIds.has(folderId))
      problems.push({
        entry: 'workflows.ndjson',
        problem: `a workflow is in folder ${folderId}, which is not in folders.ndjson`,
      });
  const workflows = seen.ids.get('workflows') ?? new Set<string>();
  for (const workflowId of seen.versionWorkflowIds)
    if (!workflows.has(workflowId))
      problems.push({
        entry: 'workflow-history.ndjson',
        problem: `it holds versions of workflow ${workflowId}, which is not in workflows.ndjson`,
      });
  const tags = seen.records.has('tags') ? (seen.ids.get('tags') ?? new Set<string>()) : undefined;
  if (tags)
    for (const tagId of seen.workflowTagIds)
      if (!tags.has(tagId))
        problems.push({
          entry: 'workflows.ndjson',
          problem: `a workflow carries tag ${tagId}, which is not in tags.ndjson`,
        });
}
