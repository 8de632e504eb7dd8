/**
 * Snapshots: one read-only view over an archive or a live instance, kind by kind, for the diff.
 * Kinds one side cannot read (unlicensed, a scope the key lacks, skipped at backup) are unavailable
 * with the reason, not failures.
 */
import { ENTRY_SPECS } from '../archive/entries.js';
import type { OpenedArchive } from '../archive/format.js';
import { type WorkflowReader, workflowRecords } from '../backup/workflows.js';
import { inProject, probeListing, unavailableReason } from '../instance/read.js';
import { EVERY_KIND, kindOf, type SnapshotResource } from '../kinds/index.js';
import type { Kind } from '../kinds/kind.js';
import type { DataTableRow, Workflow } from '../n8n-types.js';
import type { N8nApi } from '../ports.js';

export type { SnapshotResource } from '../kinds/index.js';

export interface InstanceSnapshot {
  /** For messages: the archive's location or the instance URL. */
  readonly label: string;
  /** Kinds this side could not read, with why (not licensed, key lacks a scope, skipped at backup). */
  unavailable(): Promise<Map<SnapshotResource, string>>;
  /** Of those, the kinds the instance is not licensed for (nothing there can differ: it cannot hold them). */
  unlicensed(): Promise<Set<SnapshotResource>>;
  /** One kind's objects as the archive holds them (workflows: see `workflows`). */
  records(resource: SnapshotResource): AsyncIterable<unknown>;
  dataTableRows(tableId: string): AsyncIterable<DataTableRow>;
  /** Full bodies including description and parentFolderId. */
  workflows(): AsyncIterable<Workflow>;
}

export function archiveSnapshot(archive: OpenedArchive, label: string): InstanceSnapshot {
  const entry = <T>(resource: string): AsyncIterable<T> => {
    const name = ENTRY_SPECS.get(resource)?.name;
    return archive.entriesOf(resource).length > 0 && typeof name === 'string'
      ? archive.records<T>(name)
      : empty<T>();
  };
  return {
    label,
    async unavailable() {
      const { skipped, excluded = [] } = archive.manifest;
      return new Map([
        ...skipped.map((s) => [s.resource as SnapshotResource, s.reason] as const),
        ...excluded.map(
          (e) => [e.resource as SnapshotResource, `excluded from the backup by ${e.askedBy}`] as const,
        ),
      ]);
    },
    async unlicensed() {
      const skipped = archive.manifest.skipped.filter((s) => s.feature !== undefined);
      return new Set(skipped.map((s) => s.resource as SnapshotResource));
    },
    records: (resource) => entry(resource),
    async *dataTableRows(tableId) {
      const chunks = archive
        .entriesOf('dataTableRows')
        .filter((e) => e.dataTableId === tableId)
        .sort((a, b) => a.name.localeCompare(b.name));
      for (const chunk of chunks) yield* archive.records<DataTableRow>(chunk.name);
    },
    workflows: () => entry('workflows'),
  };
}

/**
 * A live instance through the Public API. Listings the key cannot read (unlicensed feature,
 * missing scope) count as unavailable, found out by reading the first item.
 */
export function liveSnapshot(api: N8nApi, options: { concurrency?: number } = {}): InstanceSnapshot {
  let probed: Promise<Probed> | undefined;
  const probe = () => {
    probed ??= probeUnavailable(api);
    return probed;
  };
  const unavailable = async () => (await probe()).reasons;
  return {
    label: api.baseUrl,
    unavailable,
    unlicensed: async () => (await probe()).unlicensed,
    async *records(resource) {
      if ((await unavailable()).has(resource)) return;
      const kind = kindOf(resource);
      yield* kind.diff?.read?.(api) ?? kind.list?.(api) ?? inEveryProject(api, kind);
    },
    dataTableRows: (tableId) => api.listDataTableRows(tableId),
    workflows: () => workflowsWithDetail(api, options.concurrency ?? 4),
  };
}

interface Probed {
  reasons: Map<SnapshotResource, string>;
  unlicensed: Set<SnapshotResource>;
}

async function probeUnavailable(api: N8nApi): Promise<Probed> {
  const reasons = new Map<SnapshotResource, string>();
  const unlicensed = new Set<SnapshotResource>();
  // A required kind's failure is real; kinds listed per project follow the projects (below).
  for (const kind of EVERY_KIND) {
    const list = kind.list;
    if (kind.required || !list) continue;
    const resource = kind.resource as SnapshotResource;
    const why = await probeListing(() => list(api));
    if (why === undefined) continue;
    reasons.set(resource, why.reason);
    if (why.unlicensed) unlicensed.add(resource);
  }
  const firstProject = reasons.has('projects') ? undefined : await firstProjectId(api);
  for (const kind of EVERY_KIND.filter((k) => k.listInProject)) {
    const resource = kind.resource as SnapshotResource;
    if (reasons.has('projects')) {
      reasons.set(resource, `${kind.resource} are listed per project, and projects are unavailable`);
      if (unlicensed.has('projects')) unlicensed.add(resource);
      continue;
    }
    // A kind listed per project (folders) has its own licence: asked of the first project.
    const why =
      firstProject === undefined
        ? undefined
        : await probeListing(() => kind.listInProject?.(api, firstProject) ?? empty());
    if (why === undefined) continue;
    reasons.set(resource, why.reason);
    if (why.unlicensed) unlicensed.add(resource);
  }
  return { reasons, unlicensed };
}

async function firstProjectId(api: N8nApi): Promise<string | undefined> {
  for await (const project of api.listProjects()) return project.id;
  return undefined;
}

/** A kind listed per project, in every project; a project it cannot be listed in ends the listing. */
async function* inEveryProject(api: N8nApi, kind: Kind): AsyncGenerator<unknown> {
  for await (const project of api.listProjects()) {
    try {
      for await (const item of kind.listInProject?.(api, project.id) ?? []) yield inProject(item, project.id);
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
function workflowsWithDetail(api: WorkflowReader, concurrency: number): AsyncIterable<Workflow> {
  return workflowRecords(api, { concurrency, onFoldersUnknown: () => {} });
}

async function* empty<T>(): AsyncGenerator<T> {}
