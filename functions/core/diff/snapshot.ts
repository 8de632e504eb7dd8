/**
 * Snapshots: one read-only view over an archive or a live instance, resource by resource, for the
 * diff. Resources one side cannot read (unlicensed, a scope the key lacks, skipped at backup) are
 * unavailable with the reason, not failures.
 */

import { ENTRY } from '../archive/entries.js';
import type { OpenedArchive } from '../archive/format.js';
import { workflowRecords } from '../backup/workflows.js';
import { probeListing, projectsWithMembers, unavailableReason } from '../instance/read.js';
import { KINDS, type SnapshotResource } from '../kinds/index.js';
import type {
  CredentialMeta,
  DataTable,
  DataTableRow,
  Folder,
  Project,
  ProjectMember,
  Tag,
  User,
  Variable,
  Workflow,
} from '../n8n-types.js';
import type { N8nApi } from '../ports.js';

export type { SnapshotResource } from '../kinds/index.js';

export interface InstanceSnapshot {
  /** For messages: the archive's location or the instance URL. */
  readonly label: string;
  /** Resources this side could not read, with why (not licensed, key lacks a scope, skipped at backup). */
  unavailable(): Promise<Map<SnapshotResource, string>>;
  users(): AsyncIterable<User>;
  projects(): AsyncIterable<Project & { members?: ProjectMember[] }>;
  folders(): AsyncIterable<Folder>;
  tags(): AsyncIterable<Tag>;
  variables(): AsyncIterable<Variable>;
  credentials(): AsyncIterable<CredentialMeta>;
  dataTables(): AsyncIterable<DataTable>;
  dataTableRows(tableId: string): AsyncIterable<DataTableRow>;
  /** Full bodies including description and parentFolderId. */
  workflows(): AsyncIterable<Workflow>;
}

export function archiveSnapshot(archive: OpenedArchive, label: string): InstanceSnapshot {
  const entry = <T>(resource: string, name: string): AsyncIterable<T> =>
    archive.entriesOf(resource).length > 0 ? archive.records<T>(name) : empty<T>();
  return {
    label,
    async unavailable() {
      return new Map(archive.manifest.skipped.map((s) => [s.resource as SnapshotResource, s.reason]));
    },
    users: () => entry('users', ENTRY.users),
    projects: () => entry('projects', ENTRY.projects),
    folders: () => entry('folders', ENTRY.folders),
    tags: () => entry('tags', ENTRY.tags),
    variables: () => entry('variables', ENTRY.variables),
    credentials: () => entry('credentials', ENTRY.credentials),
    dataTables: () => entry('dataTables', ENTRY.dataTables),
    async *dataTableRows(tableId) {
      const chunks = archive
        .entriesOf('dataTableRows')
        .filter((e) => e.dataTableId === tableId)
        .sort((a, b) => a.name.localeCompare(b.name));
      for (const chunk of chunks) yield* archive.records<DataTableRow>(chunk.name);
    },
    workflows: () => entry('workflows', ENTRY.workflows),
  };
}

/**
 * A live instance through the Public API. Listings the key cannot read (unlicensed feature,
 * missing scope) count as unavailable, found out by reading the first item.
 */
export function liveSnapshot(api: N8nApi, options: { concurrency?: number } = {}): InstanceSnapshot {
  let probed: Promise<Map<SnapshotResource, string>> | undefined;
  const unavailable = () => {
    probed ??= probeUnavailable(api);
    return probed;
  };
  const guarded = <T>(resource: SnapshotResource, list: () => AsyncIterable<T>) =>
    async function* (): AsyncGenerator<T> {
      if ((await unavailable()).has(resource)) return;
      yield* list();
    };
  return {
    label: api.baseUrl,
    unavailable,
    users: guarded('users', () => api.listUsers()),
    projects: guarded('projects', () => projectsWithMembers(api, { unreadableMembers: 'omit' })),
    folders: guarded('folders', () => foldersOfEveryProject(api)),
    tags: guarded('tags', () => api.listTags()),
    variables: guarded('variables', () => api.listVariables()),
    credentials: guarded('credentials', () => api.listCredentials()),
    dataTables: guarded('dataTables', () => api.listDataTables()),
    dataTableRows: (tableId) => api.listDataTableRows(tableId),
    workflows: () => workflowsWithDetail(api, options.concurrency ?? 4),
  };
}

async function probeUnavailable(api: N8nApi): Promise<Map<SnapshotResource, string>> {
  const unavailable = new Map<SnapshotResource, string>();
  // Workflows are required, so a failure there is real; folders are listed per project (below).
  for (const kind of KINDS) {
    if (kind.resource === 'workflows' || !('list' in kind)) continue;
    const reason = await probeListing(() => kind.list(api));
    if (reason) unavailable.set(kind.resource, reason);
  }
  if (unavailable.has('projects'))
    unavailable.set('folders', 'folders are listed per project, and projects are unavailable');
  return unavailable;
}

async function* foldersOfEveryProject(api: N8nApi): AsyncGenerator<Folder> {
  for await (const project of api.listProjects()) {
    try {
      for await (const folder of api.listFolders(project.id))
        yield { ...folder, projectId: folder.projectId ?? project.id };
    } catch (error) {
      if (unavailableReason(error) !== undefined) return;
      throw error;
    }
  }
}

/**
 * The list lacks description and folder (docs/REAL-N8N-FINDINGS.md): read as a backup reads them,
 * the folder from n8n's package export (unknown, so compared as the root, where n8n cannot tell
 * it), the rest from one GET per workflow, with the pinned data the list is asked to leave out.
 */
function workflowsWithDetail(api: N8nApi, concurrency: number): AsyncIterable<Workflow> {
  return workflowRecords(api, { concurrency, onFoldersUnknown: () => {} });
}

async function* empty<T>(): AsyncGenerator<T> {}
