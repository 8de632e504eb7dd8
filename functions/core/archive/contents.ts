/**
 * What an archive holds, by name: per kind, each object with its project, folder path, tags, active
 * state and last update, as `inspect --contents` / `--workflows` show it. Filters are restore's
 * (--project, --tag, --workflow): they choose workflows, and with --project the other kinds too.
 * Workflow bodies are streamed and reduced to one row each; rows of data tables are only counted.
 */

import { emptyInstanceNames } from '../instance/identity.js';
import { EVERY_KIND, type KINDS } from '../kinds/index.js';
import type { ContentNames } from '../kinds/kind.js';
import { choosable, type WorkflowRow, workflowRow } from '../kinds/workflows/index.js';
import type { Project, Workflow } from '../n8n-types.js';
import { chosenProject, type WorkflowChoice, workflowChooser } from '../restore/selection.js';
import { ENTRY_SPECS } from './entries.js';

export type { WorkflowRow } from '../kinds/workflows/index.js';

import type { OpenedArchive } from './format.js';

type ContentKind = Extract<(typeof KINDS)[number], { contents: object }>;
type RowOf<K> = K extends { contents: { row(record: never, names: never): infer R } } ? R : never;

/** Per kind that shows its contents (`Kind.contents`), its objects; workflows as their rows. */
export type ArchiveContents = { workflows: WorkflowRow[] } & {
  [K in ContentKind as K['resource']]: RowOf<K>[];
};

export type ContentsKind = keyof ArchiveContents;

/** Every object of the archive (or, with `workflowsOnly`, its workflows), after the filters. */
export async function readContents(
  archive: OpenedArchive,
  choice: WorkflowChoice,
  options: { workflowsOnly?: boolean } = {},
): Promise<ArchiveContents> {
  const kinds = EVERY_KIND.filter((kind) => kind.contents);
  // The kinds that name ids for the others are read even for workflows only (projects, folders).
  const read = new Map<string, unknown[]>();
  for (const kind of kinds)
    if (!options.workflowsOnly || kind.contents?.names)
      read.set(kind.resource, await all(archive, kind.resource));
  const names = emptyInstanceNames();
  for (const kind of kinds) kind.contents?.names?.(read.get(kind.resource) ?? [], names);
  const project = chosenProject((read.get('projects') ?? []) as Project[], choice.project);
  const contentNames: ContentNames = {
    project: (id) => (id ? (names.projects.get(id) ?? id) : null),
    folder: (id) => names.folders.get(id),
    archive,
  };
  const workflows = await workflowRows(archive, choice, project?.id, contentNames);
  const rows = kinds.map((kind) => {
    const inProject = kind.contents?.projectOf;
    const records = (read.get(kind.resource) ?? []).filter(
      (record) => project === undefined || !inProject || inProject(record) === project.id,
    );
    return [
      kind.resource,
      options.workflowsOnly ? [] : records.map((r) => kind.contents?.row(r, contentNames)),
    ];
  });
  return { workflows, ...Object.fromEntries(rows) } as ArchiveContents;
}

async function workflowRows(
  archive: OpenedArchive,
  choice: WorkflowChoice,
  projectId: string | undefined,
  names: ContentNames,
): Promise<WorkflowRow[]> {
  const chosen = workflowChooser(projectId, choice);
  const rows: WorkflowRow[] = [];
  for await (const workflow of records<Workflow>(archive, 'workflows'))
    if (chosen(choosable(workflow))) rows.push(workflowRow(workflow, names));
  return rows;
}

async function* records<T>(archive: OpenedArchive, resource: string): AsyncGenerator<T> {
  const name = ENTRY_SPECS.get(resource)?.name;
  if (archive.entriesOf(resource).length > 0 && typeof name === 'string') yield* archive.records<T>(name);
}

async function all<T>(archive: OpenedArchive, resource: string): Promise<T[]> {
  const items: T[] = [];
  for await (const item of records<T>(archive, resource)) items.push(item);
  return items;
}
