/**
 * Getting things out of an archive by hand: workflows as the JSON n8n's editor imports ("Import
 * from File") and POST /workflows accepts, one file per workflow under a safe file name, and a data
 * table's rows as CSV or JSON. Pure: the caller verifies the archive first and writes the files.
 */

import { HISTORY_RESOURCE } from '../backup/history.js';
import { InvalidOptionError } from '../errors.js';
import { archiveRows } from '../kinds/data-tables/rows.js';
import { toWorkflowWrite } from '../kinds/workflows/write-body.js';
import type { DataTable, Json, JsonObject, Workflow, WorkflowVersion } from '../n8n-types.js';
import { globToRegExp } from '../restore/selection.js';
import { ENTRY } from './entries.js';
import { noSuchTable, noSuchVersion, noSuchWorkflow, versionOfSeveral } from './errors.js';
import type { OpenedArchive } from './format.js';

export interface ExtractedWorkflow {
  /** A file name safe on any file system, unique among this extraction's files (case-insensitively). */
  fileName: string;
  workflowId: string;
  workflowName: string;
  versionId: string | undefined;
  /** The workflow as n8n imports it. */
  body: JsonObject;
}

/**
 * What an imported file carries, the fields to compare an imported workflow by (with `diff`'s
 * canonical form). Static data (trigger state), tags, project, folder and active state are not carried.
 */
export const IMPORTED_FIELDS: readonly string[] = [
  'name',
  'nodes',
  'connections',
  'settings',
  'pinData',
  'nodeGroups',
];

/**
 * A workflow as n8n imports it: name, nodes, connections, settings, pinned data and meta, the way
 * n8n's own "Download" writes it, without the id, versionId, active state and timestamps (n8n gives
 * an imported workflow its own, and the Public API refuses them). Node and settings keys n8n refuses
 * on write are left out; tags, project and folder are the importer's choice.
 */
export function importableWorkflow(workflow: Workflow): JsonObject {
  const { body } = toWorkflowWrite(workflow);
  const importable: JsonObject = {
    name: body.name,
    nodes: body.nodes as unknown as Json[],
    connections: body.connections,
    settings: body.settings,
    pinData: body.pinData ?? {},
  };
  if (body.nodeGroups) importable.nodeGroups = body.nodeGroups;
  if (workflow.meta && typeof workflow.meta === 'object') importable.meta = workflow.meta as JsonObject;
  return importable;
}

/** The archive's workflows whose id is `pattern`, or whose name matches it (a glob, as restore's --workflow). */
export async function matchingWorkflows(archive: OpenedArchive, pattern: string): Promise<Workflow[]> {
  const byName = globToRegExp(pattern);
  const byId: Workflow[] = [];
  const named: Workflow[] = [];
  for await (const workflow of archive.records<Workflow>(ENTRY.workflows)) {
    if (workflow.id === pattern) byId.push(workflow);
    else if (byName.test(workflow.name)) named.push(workflow);
  }
  const found = byId.length > 0 ? byId : named;
  if (found.length === 0) throw noSuchWorkflow(pattern);
  return found;
}

/** The chosen workflows (or, with `versionId`, that saved version of the one chosen) as files to write. */
export async function extractWorkflows(
  archive: OpenedArchive,
  pattern: string,
  versionId?: string,
): Promise<ExtractedWorkflow[]> {
  const workflows = await matchingWorkflows(archive, pattern);
  const names = new FileNames();
  if (versionId === undefined)
    return workflows.map((w) => ({
      fileName: names.take(w.name, w.id),
      workflowId: w.id,
      workflowName: w.name,
      versionId: undefined,
      body: importableWorkflow(w),
    }));
  if (workflows.length > 1) throw versionOfSeveral(pattern, workflows.length);
  const [workflow] = workflows as [Workflow];
  const version = await findVersion(archive, workflow, versionId);
  const asSaved = { ...workflow, nodes: version.nodes, connections: version.connections };
  if (version.nodeGroups) asSaved.nodeGroups = version.nodeGroups;
  else delete asSaved.nodeGroups;
  return [
    {
      fileName: names.take(`${workflow.name} (version ${versionId})`, workflow.id),
      workflowId: workflow.id,
      workflowName: workflow.name,
      versionId,
      body: importableWorkflow(asSaved),
    },
  ];
}

async function findVersion(
  archive: OpenedArchive,
  workflow: Workflow,
  versionId: string,
): Promise<WorkflowVersion> {
  const entries = archive.entriesOf(HISTORY_RESOURCE);
  if (entries.length === 0)
    throw new InvalidOptionError(
      'version',
      'this archive holds no saved versions (backed up before history was kept, or with --history 0)',
    );
  for (const entry of entries)
    for await (const version of archive.records<WorkflowVersion>(entry.name))
      if (version.workflowId === workflow.id && version.versionId === versionId) return version;
  throw noSuchVersion(versionId, workflow);
}

/** Names that Windows reserves whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;
/**
 * The longest base name, in UTF-8 bytes: file systems allow 255 bytes a name, and a shortened name
 * gets its id (up to MAX_ID_BYTES), a number and the extension besides.
 */
const MAX_BASE_BYTES = 150;
const MAX_ID_BYTES = 64;

/**
 * A workflow name made into a file name: no path separators, control or reserved characters, no
 * leading dot, at most `maxBytes` bytes of UTF-8 (whole code points). Workflow names are user data;
 * nothing here leaves the folder.
 */
export function safeBaseName(name: string, maxBytes = MAX_BASE_BYTES): string {
  const cleaned = [...name.normalize('NFC')]
    .map((c) => (/[\p{Cc}\p{Cf}/\\:*?"<>|]/u.test(c) ? '_' : c))
    .join('')
    .replace(/^[\s.]+/, '')
    .replace(/[\s.]+$/, '');
  const short = withinBytes(cleaned, maxBytes).trim();
  if (short === '') return 'workflow';
  return RESERVED.test(short.split('.')[0] ?? '') ? `_${short}` : short;
}

/** The longest start of `text` of whole code points that is at most `maxBytes` bytes of UTF-8. */
function withinBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const c of text) {
    bytes += Buffer.byteLength(c);
    if (bytes > maxBytes) break;
    end += c.length;
  }
  return text.slice(0, end);
}

/**
 * Hands out unique file names (case-insensitively): a second workflow of the same name gets its id
 * added, and so does a name shortened to fit, so two long names that begin alike stay apart.
 */
export class FileNames {
  private readonly taken = new Set<string>();

  constructor(private readonly extension = '.json') {}

  take(name: string, id: string): string {
    const base = safeBaseName(name);
    const shortened = base !== safeBaseName(name, Number.POSITIVE_INFINITY);
    const withId = `${base} (${safeBaseName(id, MAX_ID_BYTES)})`;
    for (let n = shortened ? 1 : 0; ; n += 1) {
      const file = `${n === 0 ? base : n === 1 ? withId : `${withId} ${n}`}${this.extension}`;
      if (this.taken.has(file.toLowerCase())) continue;
      this.taken.add(file.toLowerCase());
      return file;
    }
  }
}

export type RowFormat = 'csv' | 'json';

/** The archived data table whose id or name this is; two of that name must be told apart by id. */
export async function findArchivedTable(archive: OpenedArchive, nameOrId: string): Promise<DataTable> {
  const byName: DataTable[] = [];
  for await (const table of archive.records<DataTable>(ENTRY.dataTables)) {
    if (table.id === nameOrId) return table;
    if (table.name === nameOrId) byName.push(table);
  }
  if (byName.length === 1 && byName[0]) return byName[0];
  throw noSuchTable(nameOrId, byName);
}

/** A table's row fields in order: id, its columns by position, then the timestamps. */
export function rowFields(table: DataTable): string[] {
  const columns = [...table.columns].sort((a, b) => a.index - b.index).map((c) => c.name);
  return ['id', ...columns, 'createdAt', 'updatedAt'];
}

/** The table's rows as text, chunk after chunk: RFC 4180 CSV (header line, CRLF) or a JSON array. */
export async function* tableRowsText(
  archive: OpenedArchive,
  table: DataTable,
  format: RowFormat,
): AsyncGenerator<string> {
  const fields = rowFields(table);
  if (format === 'csv') yield csvLine(fields);
  else yield '[';
  let first = true;
  for await (const row of archiveRows(archive, table.id)) {
    if (format === 'csv') yield csvLine(fields.map((f) => row[f]));
    else yield `${first ? '\n' : ',\n'}${JSON.stringify(row)}`;
    first = false;
  }
  if (format === 'json') yield first ? ']\n' : '\n]\n';
}

/** One CSV record: a field with a comma, quote, line break or outer space is quoted, quotes doubled. */
export function csvLine(values: readonly (Json | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: Json | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
