/**
 * The exporter: n8n API → archive writer → store, one resource at a time, page by page.
 * Nothing that grows with the instance is held whole: bodies and rows stream into the archive;
 * only ids and names (for the reference check, folder discovery and the closing check) are kept.
 * The archive is published only once the closing check confirms it (backup-closing-check.ts).
 */
import { ArchiveBuilder } from './archive-builder.js';
import {
  type ArchiveWarning,
  ENTRY,
  FORMAT_VERSION,
  type Manifest,
  type SkippedResource,
} from './archive-format.js';
import { mapOrdered, peek, present, tap } from './async-iterables.js';
import {
  ArchiveTally,
  backupIncomplete,
  compareIdentities,
  describeChange,
  folderProjectsOf,
  IdentityRead,
  type InstanceIdentities,
} from './backup-closing-check.js';
import { DEFAULT_HISTORY_VERSIONS, exportWorkflowHistory, HISTORY_RESOURCE } from './backup-history.js';
import { ArkError, BackupDeadlineError, NotFoundError } from './errors.js';
import { isOwnerRole } from './instance/identity.js';
import { recordedSourceFacts } from './instance/node-types.js';
import { projectsWithMembers, skippedBecause } from './instance/read.js';
import type { SnapshotResource } from './kinds/index.js';
import type { Workflow } from './n8n-types.js';
import type { ArchiveRef, ArchiveStore, ArchiveWriter, Clock, Logger, N8nApi, Progress } from './ports.js';
import { danglingReferenceWarning, findWorkflowReferences, type WorkflowReference } from './references.js';

export interface BackupDeps {
  api: N8nApi;
  store: ArchiveStore;
  createWriter: () => ArchiveWriter;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  toolVersion: string;
}

export interface BackupOptions {
  instance: string;
  /** Concurrent per-workflow GETs for the field the list lacks (the description). Default 8. */
  detailConcurrency?: number;
  /** Data-table rows per archive entry. */
  rowsPerChunk?: number;
  /** Newest saved versions kept per workflow (workflow-history.ndjson); 0 keeps none. Default 10. */
  history?: number;
  /** Epoch ms: past it the backup stops at the next object and publishes nothing (it cannot resume). */
  deadline?: number;
}

export interface BackupResult {
  archive: ArchiveRef;
  manifest: Manifest;
  durationMs: number;
}

/** Resources a backup may record as skipped; without workflows a backup is worthless, so that one is fatal. */
type OptionalResource = Exclude<SnapshotResource, 'workflows'>;

const DEFAULT_ROWS_PER_CHUNK = 10_000;
type ForwardReference = { workflow: { id: string; name: string }; reference: WorkflowReference };

export async function runBackup(deps: BackupDeps, options: BackupOptions): Promise<BackupResult> {
  const { store, logger, progress } = deps;
  const startedAt = deps.clock.now();
  const writer = deps.createWriter();
  const upload = store.put(options.instance, startedAt, writer.output, {
    'n8n-ark-format-version': String(FORMAT_VERSION),
    'n8n-ark-instance': options.instance,
    'n8n-ark-tool-version': deps.toolVersion,
  });
  // If the store fails first, the exporter must stop instead of writing into a dead stream.
  let uploadFailure: unknown;
  upload.catch((error: unknown) => {
    uploadFailure = error;
  });

  const export_ = new InstanceExport(deps, options, new ArchiveBuilder(writer), () => uploadFailure);
  try {
    await export_.run();
    const manifest = await export_.finish(startedAt);
    const archive = await upload;
    const durationMs = deps.clock.now().getTime() - startedAt.getTime();
    logger.info('backup finished', {
      instance: options.instance,
      archive: archive.location,
      bytes: archive.size,
      durationMs,
      counts: manifest.counts,
      skipped: manifest.skipped.map((s) => s.resource),
      warnings: manifest.warnings.length,
    });
    progress.done('backup', `${archive.location}`);
    return { archive, manifest, durationMs };
  } catch (error) {
    writer.abort(error instanceof Error ? error : new Error(String(error)));
    await export_.stop();
    await upload.catch(() => {});
    throw uploadFailure && !(error instanceof ArkError) ? uploadFailure : error;
  }
}

/** One run of the exporter; holds the small sets of ids the cross-resource checks need. */
class InstanceExport {
  private readonly counts: Record<string, number> = {};
  private readonly skipped: SkippedResource[] = [];
  private readonly warnings: ArchiveWarning[] = [];
  private readonly projectIds = new Set<string>();
  private readonly credentialIds = new Set<string>();
  private readonly dataTableIds = new Set<string>();
  private readonly workflowIds = new Set<string>();
  /** What went into the archive, for the closing check. */
  private readonly tally = new ArchiveTally();
  /** The opening read, started with the run; see `IdentityRead`. */
  private opening: IdentityRead | undefined;
  /** Set when the run failed: the reads still going stop at their next object. */
  private stopped = false;
  /** Workflow → workflow references whose target was not seen yet when the caller was written (ids and names only). */
  private readonly forwardReferences: ForwardReference[] = [];

  constructor(
    private readonly deps: BackupDeps,
    private readonly options: BackupOptions,
    private readonly archive: ArchiveBuilder,
    private readonly uploadFailure: () => unknown,
  ) {}

  async run(): Promise<void> {
    const { api } = this.deps;
    this.opening = this.startRead();
    await this.exportList('users', ENTRY.users, () => api.listUsers());
    await this.exportList('projects', ENTRY.projects, () => this.projectsWithMembers());
    await this.exportList('tags', ENTRY.tags, () => api.listTags());
    await this.exportList('variables', ENTRY.variables, () => api.listVariables());
    await this.exportList('credentials', ENTRY.credentials, () =>
      tap(api.listCredentials(), (credential) => {
        this.credentialIds.add(credential.id);
        for (const share of credential.shared ?? [])
          if (isOwnerRole(share.role)) this.projectIds.add(share.id);
      }),
    );
    await this.exportDataTables();
    await this.exportWorkflows();
    await this.exportHistory();
    // Folders live under projects; the project ids are known only now (from projects, credentials and workflows).
    await this.exportList('folders', ENTRY.folders, () => this.foldersOfKnownProjects());
    this.checkForwardReferences();
    await this.confirm(await this.opening.all());
  }

  async finish(startedAt: Date): Promise<Manifest> {
    const { version, inventory } = await recordedSourceFacts(this.deps.api, (skip) => this.recordSkip(skip));
    return this.archive.finish({
      ...inventory,
      tool: { name: 'n8n-ark', version: this.deps.toolVersion },
      source: { url: this.deps.api.baseUrl, instance: this.options.instance, ...version },
      startedAt: startedAt.toISOString(),
      finishedAt: this.deps.clock.now().toISOString(),
      counts: this.counts,
      skipped: this.skipped,
      warnings: this.warnings,
    });
  }

  /**
   * Writes one resource's listing as one entry. An unlicensed feature or a scope the key lacks
   * becomes a recorded skip, learnt from the first page before the entry is started.
   */
  private async exportList(
    resource: OptionalResource,
    entryName: string,
    list: () => AsyncIterable<unknown>,
  ): Promise<void> {
    this.throwIfUploadFailed();
    this.checkDeadline();
    await this.opening?.ready(resource);
    const { progress } = this.deps;
    progress.start(resource);
    let first: Awaited<ReturnType<typeof peek<unknown>>>;
    try {
      first = await peek(list());
    } catch (error) {
      if (this.recordSkip(skippedBecause(resource, error))) return;
      throw error;
    }
    this.tally.begin(resource);
    const entry = await this.archive.addRecords(entryName, resource, first.items, {
      observe: (record) => {
        this.seen(resource, record);
        progress.advance(resource);
      },
    });
    this.counts[resource] = entry.records;
    progress.done(resource, `${entry.records} ${resource}`);
  }

  private recordSkip(skip: SkippedResource | undefined): boolean {
    if (skip === undefined) return false;
    this.skipped.push(skip);
    this.deps.logger.info('resource skipped', { resource: skip.resource, reason: skip.reason });
    this.deps.progress.done(skip.resource, 'skipped');
    return true;
  }

  private projectsWithMembers(): AsyncIterable<unknown> {
    return tap(projectsWithMembers(this.deps.api, { unreadableMembers: 'throw' }), (project) =>
      this.projectIds.add(project.id),
    );
  }

  private async *foldersOfKnownProjects(): AsyncGenerator<unknown> {
    for (const projectId of this.projectIds) yield* this.deps.api.listFolders(projectId);
  }

  private async exportDataTables(): Promise<void> {
    const { api, progress } = this.deps;
    const tables: { id: string; name: string }[] = [];
    await this.exportList('dataTables', ENTRY.dataTables, () =>
      tap(api.listDataTables(), (table) => {
        this.dataTableIds.add(table.id);
        if (table.projectId) this.projectIds.add(table.projectId);
        tables.push({ id: table.id, name: table.name });
      }),
    );
    const rowsPerChunk = this.options.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
    let rows = 0;
    progress.start('dataTableRows');
    for (const table of tables) {
      this.throwIfUploadFailed();
      this.checkDeadline();
      const entries = await this.archive.addRecordsInEntries(
        (n) => ENTRY.dataTableRows(table.id, n),
        'dataTableRows',
        api.listDataTableRows(table.id),
        rowsPerChunk,
        { dataTableId: table.id, observe: () => this.seenCounted('dataTableRows') },
      );
      for (const entry of entries) rows += entry.records;
    }
    if (!this.skipped.some((s) => s.resource === 'dataTables')) this.counts.dataTableRows = rows;
    progress.done('dataTableRows', `${rows} rows`);
  }

  private async exportWorkflows(): Promise<void> {
    const { api, progress } = this.deps;
    await this.opening?.ready('workflows');
    progress.start('workflows');
    this.tally.begin('workflows');
    // Without pinned data (a page of 250 could be gigabytes): each workflow's GET brings its own.
    const detailed = present(
      mapOrdered(
        api.listWorkflows({ excludePinnedData: true }),
        this.options.detailConcurrency ?? 8,
        (listed) => this.withDetail(listed),
      ),
    );
    const entry = await this.archive.addRecords(ENTRY.workflows, 'workflows', detailed, {
      observe: (workflow) => {
        this.seen('workflows', workflow);
        this.observeWorkflow(workflow as Workflow);
        progress.advance('workflows');
      },
    });
    this.counts.workflows = entry.records;
    progress.done('workflows', `${entry.records} workflows`);
  }

  private async exportHistory(): Promise<void> {
    const result = await exportWorkflowHistory(this.deps, this.archive, {
      workflowIds: this.workflowIds,
      versions: this.options.history ?? DEFAULT_HISTORY_VERSIONS,
      concurrency: this.options.detailConcurrency ?? 8,
      observe: () => this.seenCounted(HISTORY_RESOURCE),
    });
    if ('skipped' in result) this.recordSkip(result.skipped);
    else if ('records' in result) this.counts[HISTORY_RESOURCE] = result.records;
  }

  /**
   * The list lacks the description and (asked without it) the pinned data; GET /workflows/{id} has
   * both, though no folder on n8n 2.41. One deleted since it was listed is left out (the closing
   * check names it as changed during the backup).
   */
  private async withDetail(listed: Workflow): Promise<Workflow | undefined> {
    if ('description' in listed && 'pinData' in listed) return listed;
    const detail = await this.deps.api.getWorkflow(listed.id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!detail) return undefined;
    return {
      ...listed,
      ...(detail.pinData !== undefined ? { pinData: detail.pinData } : {}),
      description: detail.description ?? null,
      ...(detail.parentFolderId !== undefined ? { parentFolderId: detail.parentFolderId } : {}),
      ...(detail.shared ? { shared: detail.shared } : {}),
    };
  }

  private observeWorkflow(workflow: Workflow): void {
    this.workflowIds.add(workflow.id);
    for (const share of workflow.shared ?? []) this.projectIds.add(share.projectId);
    for (const reference of findWorkflowReferences(workflow)) {
      switch (reference.kind) {
        case 'credential':
          if (!this.credentialIds.has(reference.id) && !this.skippedResource('credentials'))
            this.warn(workflow, reference);
          break;
        case 'dataTable':
          if (!this.dataTableIds.has(reference.id) && !this.skippedResource('dataTables'))
            this.warn(workflow, reference);
          break;
        default:
          if (!this.workflowIds.has(reference.id))
            this.forwardReferences.push({ workflow: { id: workflow.id, name: workflow.name }, reference });
      }
    }
  }

  private checkForwardReferences(): void {
    for (const { workflow, reference } of this.forwardReferences)
      if (!this.workflowIds.has(reference.id)) this.warn(workflow, reference);
    this.forwardReferences.length = 0;
  }

  private warn(workflow: { id: string; name: string }, reference: WorkflowReference): void {
    this.warnings.push(danglingReferenceWarning(workflow, reference));
  }

  private skippedResource(resource: string): boolean {
    return this.skipped.some((s) => s.resource === resource);
  }

  /** Every record on its way into the archive: tallied, and the deadline checked. */
  private seen(resource: SnapshotResource, record: unknown): void {
    this.tally.record(resource, record);
    this.checkDeadline();
  }

  /** A record tallied by count only (rows, versions): counted, the deadline and the upload checked, progress shown. */
  private seenCounted(resource: string): void {
    this.throwIfUploadFailed();
    this.tally.count(resource);
    this.checkDeadline();
    this.deps.progress.advance(resource);
  }

  private startRead(folderProjects?: string[]): IdentityRead {
    return IdentityRead.start(this.deps.api, {
      ...(folderProjects ? { folderProjects } : {}),
      onItem: () => {
        if (this.stopped) throw new Error('the backup stopped');
        this.checkDeadline();
      },
    });
  }

  /** After a failure: the opening read stops at its next object, and is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.opening?.settled();
  }

  /**
   * The closing check: the source is read once more, and the archive is complete only when every
   * object present at both reads is in it, each id once, and the counts are the records written.
   * Objects created or deleted meanwhile become warnings. Throwing here publishes nothing.
   */
  private async confirm(opening: InstanceIdentities): Promise<void> {
    this.checkDeadline();
    this.deps.progress.start('closing check');
    const closing = await this.startRead(folderProjectsOf(opening)).all();
    this.deps.progress.done('closing check');
    const { missing, changed } = compareIdentities(opening, this.tally.identities, closing);
    for (const object of changed)
      this.warnings.push({ code: 'changed-during-backup', message: describeChange(object) });
    const problems = this.tally.problems(missing, this.counts, (r) => this.archive.recordsOf(r));
    if (problems.length > 0) throw backupIncomplete(problems);
  }

  private checkDeadline(): void {
    const { deadline } = this.options;
    if (deadline === undefined || this.deps.clock.now().getTime() < deadline) return;
    throw new BackupDeadlineError(
      `the backup reached its deadline (${new Date(deadline).toISOString()}) before it was done; no archive was published`,
      { deadline },
    );
  }

  private throwIfUploadFailed(): void {
    const failure = this.uploadFailure();
    if (failure) throw failure;
  }
}
