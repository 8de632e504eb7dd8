/**
 * What an archive holds, by name: per kind, each object with its project, folder path, tags, active
 * state and last update, as `inspect --contents` / `--workflows` show it. Filters are restore's
 * (--project, --tag, --workflow): they choose workflows, and with --project the other kinds too.
 * Workflow bodies are streamed and reduced to one row each; rows of data tables are only counted.
 */

import { folderPaths, owningProjectId } from '../instance/identity.js';
import type { CredentialMeta, DataTable, Folder, Project, Tag, Variable, Workflow } from '../n8n-types.js';
import { chosenProject, type WorkflowChoice, workflowChooser } from '../restore/selection.js';
import { ENTRY } from './entries.js';
import type { OpenedArchive } from './format.js';

export interface WorkflowRow {
  id: string;
  name: string;
  project: string | null;
  /** "Parent/Child", or null at the project's root or where the archive does not know it. */
  folder: string | null;
  tags: string[];
  active: boolean;
  archived: boolean;
  updatedAt: string | null;
}

export interface ArchiveContents {
  workflows: WorkflowRow[];
  projects: { id: string; name: string; type: string }[];
  folders: { id: string; path: string; project: string | null }[];
  tags: { id: string; name: string }[];
  credentials: { id: string; name: string; type: string; project: string | null }[];
  dataTables: { id: string; name: string; project: string | null; columns: number; rows: number }[];
  /** Keys only: values stay in the archive. */
  variables: { id: string; key: string; project: string | null }[];
}

export type ContentsKind = keyof ArchiveContents;

/** Every object of the archive (or, with `workflowsOnly`, its workflows), after the filters. */
export async function readContents(
  archive: OpenedArchive,
  choice: WorkflowChoice,
  options: { workflowsOnly?: boolean } = {},
): Promise<ArchiveContents> {
  const projects = await all<Project>(archive, 'projects', ENTRY.projects);
  const project = chosenProject(projects, choice.project);
  const inProject = (id: string | null | undefined) => project === undefined || id === project.id;
  const projectName = new Map(projects.map((p) => [p.id, p.name]));
  const nameOf = (id: string | null | undefined) => (id ? (projectName.get(id) ?? id) : null);
  const folders = await all<Folder>(archive, 'folders', ENTRY.folders);
  const paths = folderPaths(folders);
  const workflows = await workflowRows(archive, choice, project?.id, { nameOf, paths });
  const empty = { projects: [], folders: [], tags: [], credentials: [], dataTables: [], variables: [] };
  if (options.workflowsOnly) return { workflows, ...empty };
  const tables = (await all<DataTable>(archive, 'dataTables', ENTRY.dataTables)).filter((t) =>
    inProject(t.projectId),
  );
  return {
    workflows,
    projects: projects.filter((p) => inProject(p.id)).map((p) => ({ id: p.id, name: p.name, type: p.type })),
    folders: folders
      .filter((f) => inProject(f.projectId))
      .map((f) => ({ id: f.id, path: paths.get(f.id) ?? f.name, project: nameOf(f.projectId) })),
    tags: (await all<Tag>(archive, 'tags', ENTRY.tags)).map((t) => ({ id: t.id, name: t.name })),
    credentials: (await all<CredentialMeta>(archive, 'credentials', ENTRY.credentials))
      .filter((c) => inProject(owningProjectId(c)))
      .map((c) => ({ id: c.id, name: c.name, type: c.type, project: nameOf(owningProjectId(c)) })),
    dataTables: tables.map((t) => ({
      id: t.id,
      name: t.name,
      project: nameOf(t.projectId),
      columns: t.columns.length,
      rows: rowCount(archive, t.id),
    })),
    variables: (await all<Variable>(archive, 'variables', ENTRY.variables))
      .filter((v) => inProject(v.project?.id))
      .map((v) => ({ id: v.id, key: v.key, project: nameOf(v.project?.id) })),
  };
}

async function workflowRows(
  archive: OpenedArchive,
  choice: WorkflowChoice,
  projectId: string | undefined,
  names: { nameOf: (id: string | null | undefined) => string | null; paths: Map<string, string> },
): Promise<WorkflowRow[]> {
  const chosen = workflowChooser(projectId, choice);
  const rows: WorkflowRow[] = [];
  for await (const w of records<Workflow>(archive, 'workflows', ENTRY.workflows)) {
    const tags = (w.tags ?? []).map((t) => t.name);
    const owner = owningProjectId(w);
    if (!chosen({ name: w.name, projectId: owner, tagNames: tags })) continue;
    rows.push({
      id: w.id,
      name: w.name,
      project: names.nameOf(owner),
      folder: w.parentFolderId
        ? (names.paths.get(w.parentFolderId) ?? `(unknown folder ${w.parentFolderId})`)
        : null,
      tags: tags.sort(),
      active: w.active === true,
      archived: w.isArchived === true,
      updatedAt: w.updatedAt ?? null,
    });
  }
  return rows;
}

/** The rows the manifest records for a table (no row is read). */
function rowCount(archive: OpenedArchive, tableId: string): number {
  return archive
    .entriesOf('dataTableRows')
    .filter((e) => e.dataTableId === tableId)
    .reduce((n, e) => n + e.records, 0);
}

async function* records<T>(archive: OpenedArchive, resource: string, name: string): AsyncGenerator<T> {
  if (archive.entriesOf(resource).length > 0) yield* archive.records<T>(name);
}

async function all<T>(archive: OpenedArchive, resource: string, name: string): Promise<T[]> {
  const items: T[] = [];
  for await (const item of records<T>(archive, resource, name)) items.push(item);
  return items;
}
