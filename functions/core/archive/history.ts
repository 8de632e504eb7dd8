/**
 * Reading the saved versions an archive holds (workflow-history.ndjson, written by backup
 * --history): how many per workflow and which ones (`extract --version` writes one out).
 * Entries are streamed; only ids, names and the versions of one workflow are held.
 */

import { HISTORY_RESOURCE } from '../backup/history.js';
import { UsageError } from '../errors.js';
import type { Workflow, WorkflowVersion } from '../n8n-types.js';
import { ENTRY } from './entries.js';
import type { OpenedArchive } from './format.js';

export interface WorkflowVersionCount {
  id: string;
  name: string;
  versions: number;
}

export interface VersionSummary {
  versionId: string;
  createdAt: string;
  authors: string | null;
  /** The version's own name (publishing with a name gives one), not the workflow's. */
  name: string | null;
}

/** Whether the archive holds saved versions (backups before history, or with --history 0, do not). */
export function holdsHistory(archive: OpenedArchive): boolean {
  return archive.entriesOf(HISTORY_RESOURCE).length > 0;
}

/** Each archived workflow with how many of its versions the archive holds, in archive order. */
export async function countVersions(archive: OpenedArchive): Promise<WorkflowVersionCount[]> {
  const counts = new Map<string, number>();
  for await (const version of historyRecords(archive))
    counts.set(version.workflowId, (counts.get(version.workflowId) ?? 0) + 1);
  const workflows: WorkflowVersionCount[] = [];
  for await (const workflow of archive.records<Workflow>(ENTRY.workflows))
    workflows.push({ id: workflow.id, name: workflow.name, versions: counts.get(workflow.id) ?? 0 });
  return workflows;
}

/** The archived workflow with this id, or else the one with this name; two of that name must be told apart by id. */
export async function findArchivedWorkflow(archive: OpenedArchive, nameOrId: string): Promise<Workflow> {
  let byName: Workflow[] = [];
  for await (const workflow of archive.records<Workflow>(ENTRY.workflows)) {
    if (workflow.id === nameOrId) return workflow;
    if (workflow.name === nameOrId) byName = [...byName, workflow].slice(0, 2);
  }
  const [only, other] = byName;
  if (only && !other) return only;
  if (only)
    throw new UsageError(
      `--workflow ${JSON.stringify(nameOrId)}: several workflows have that name; give the id`,
    );
  throw new UsageError(
    `--workflow ${JSON.stringify(nameOrId)}: the archive has no workflow with that id or name`,
  );
}

/** A workflow's archived versions, newest first (the order n8n lists them and the backup wrote them). */
export async function versionsOf(archive: OpenedArchive, workflowId: string): Promise<VersionSummary[]> {
  const versions: VersionSummary[] = [];
  for await (const version of historyRecords(archive))
    if (version.workflowId === workflowId)
      versions.push({
        versionId: version.versionId,
        createdAt: version.createdAt,
        authors: version.authors ?? null,
        name: version.name ?? null,
      });
  return versions;
}

async function* historyRecords(archive: OpenedArchive): AsyncGenerator<WorkflowVersion> {
  for (const entry of archive.entriesOf(HISTORY_RESOURCE))
    yield* archive.records<WorkflowVersion>(entry.name);
}
