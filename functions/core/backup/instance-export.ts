/**
 * One run of the exporter (backup.ts): each resource's listing into its entry, the workflows with
 * their history, and the closing check before the manifest is written.
 */
import type { ArchiveBuilder } from '../archive/builder.js';
import { ENTRY } from '../archive/entries.js';
import type { ArchiveWarning, Manifest, SkippedResource } from '../archive/format.js';
import { peek, readAhead, tap } from '../async-iterables.js';
import { BackupDeadlineError } from '../errors.js';
import { credentialsWithFlags } from '../instance/credential-flags.js';
import { isOwnerRole } from '../instance/identity.js';
import { recordedSourceFacts } from '../instance/node-types.js';
import { projectsWithMembers, skippedBecause } from '../instance/read.js';
import type { SnapshotResource } from '../kinds/index.js';
import type { Workflow } from '../n8n-types.js';
import { BackupReferences } from '../references/backup-check.js';
import {
  ArchiveTally,
  backupIncomplete,
  compareIdentities,
  describeChange,
  folderProjectsOf,
  IdentityRead,
  type InstanceIdentities,
} from './closing-check.js';
import { DEFAULT_HISTORY_VERSIONS, exportWorkflowHistory, HISTORY_RESOURCE } from './history.js';
import { ListedGraphs } from './listed-versions.js';
import { findPreviousArchive, type PreviousArchive } from './previous.js';
import type { BackupDeps, BackupOptions } from './run.js';
import { FOLDER_PLACEMENT_RESOURCE, workflowRecords } from './workflows.js';

/** Resources a backup may record as skipped; without workflows a backup is worthless, so that one is fatal. */
type OptionalResource = Exclude<SnapshotResource, 'workflows'>;

const DEFAULT_ROWS_PER_CHUNK = 10_000;

/** One run of the exporter; holds the small sets of ids the cross-resource checks need. */
export class InstanceExport {
  private readonly counts: Record<string, number> = {};
  private readonly skipped: SkippedResource[] = [];
  private readonly warnings: ArchiveWarning[] = [];
  private readonly projectIds = new Set<string>();
  private readonly references = new BackupReferences(this.warnings, (resource) =>
    this.skipped.some((s) => s.resource === resource),
  );
  /** What went into the archive, for the closing check. */
  private readonly tally = new ArchiveTally();
  /** The opening read, started with the run; see `IdentityRead`. */
  private opening: IdentityRead | undefined;
  /** The closing read, started once the export has listed workflows. */
  private closing: IdentityRead | undefined;
  /** Lets the closing read list folders (the export has listed them, or it failed). */
  private releaseFolders: (() => void) | undefined;
  /** What the manifest records of the source beside the export, and what it had to skip. */
  private sourceFacts: ReturnType<typeof recordedSourceFacts> | undefined;
  private readonly factSkips: SkippedResource[] = [];
  /** Set when the run failed: the reads still going stop at their next object. */
  private stopped = false;
  /** The archive an incremental backup reuses unchanged workflows from. */
  private previous: PreviousArchive | undefined;
  /** Settles once the previous archive has been looked for (and read, when there is one). */
  private previousFound: Promise<ArchiveWarning | undefined> | undefined;
  /** The graphs the listing carried of versions the history entry will want. */
  private readonly graphs = new ListedGraphs();

  constructor(
    private readonly deps: BackupDeps,
    private readonly options: BackupOptions,
    private readonly archive: ArchiveBuilder,
    private readonly uploadFailure: () => unknown,
  ) {}

  async run(): Promise<void> {
    const { api } = this.deps;
    this.opening = this.startRead();
    // The source's version and packages (three small reads) are learnt beside the export.
    this.sourceFacts = recordedSourceFacts(api, (skip) => this.factSkips.push(skip));
    this.sourceFacts.catch(() => {});
    // The previous archive is read and verified while the resources before workflows are exported.
    this.previousFound = this.findPrevious();
    this.previousFound.catch(() => {});
    await this.exportList('users', ENTRY.users, () => api.listUsers());
    await this.exportList('projects', ENTRY.projects, () => this.projectsWithMembers());
    await this.exportList('tags', ENTRY.tags, () => api.listTags());
    await this.exportList('variables', ENTRY.variables, () => api.listVariables());
    await this.exportList('credentials', ENTRY.credentials, () =>
      tap(credentialsWithFlags(api, this.options.detailConcurrency ?? 8, this.warnings), (credential) => {
        this.references.credentialIds.add(credential.id);
        for (const share of credential.shared ?? [])
          if (isOwnerRole(share.role)) this.projectIds.add(share.id);
      }),
    );
    await this.exportDataTables();
    const unusable = await this.previousFound;
    if (unusable) this.warnings.push(unusable);
    await this.exportWorkflows();
    const foldersListed = this.startClosingRead();
    await this.exportHistory();
    // Folders live under projects; the project ids are known only now (from projects, credentials and workflows).
    await this.exportList('folders', ENTRY.folders, () => this.foldersOfKnownProjects());
    foldersListed();
    this.references.checkForward();
    await this.confirm(await this.opening.all());
  }

  /**
   * Starts the closing read once every resource but folders has been listed by the export, so it
   * overlaps the history entry; its folders wait for the export's (the returned call releases them).
   */
  private startClosingRead(): () => void {
    const folders = new Promise<void>((resolve) => {
      this.releaseFolders = resolve;
    });
    const opening = this.opening?.identities ?? new Map();
    this.closing = this.startRead(folderProjectsOf(opening), (resource) =>
      resource === 'folders' ? folders : undefined,
    );
    return () => this.releaseFolders?.();
  }

  async finish(startedAt: Date): Promise<Manifest> {
    const { version, inventory } = await (this.sourceFacts ??
      recordedSourceFacts(this.deps.api, (skip) => this.factSkips.push(skip)));
    for (const skip of this.factSkips) this.recordSkip(skip);
    return this.archive.finish({
      ...inventory,
      tool: { name: 'n8n-ark', version: this.deps.toolVersion },
      source: { url: this.deps.api.baseUrl, instance: this.options.instance, ...version },
      startedAt: startedAt.toISOString(),
      finishedAt: this.deps.clock.now().toISOString(),
      ...(HISTORY_RESOURCE in this.counts ? { historyVersions: this.historyVersions } : {}),
      ...(this.previous ? { incremental: this.previous.summary() } : {}),
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
        this.references.dataTableIds.add(table.id);
        if (table.projectId) this.projectIds.add(table.projectId);
        tables.push({ id: table.id, name: table.name });
      }),
    );
    const rowsPerChunk = this.options.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
    let rows = 0;
    progress.start('dataTableRows');
    const rowsOf = (table: { id: string } | undefined) => table && readAhead(api.listDataTableRows(table.id));
    let next = rowsOf(tables[0]);
    for (const [index, table] of tables.entries()) {
      this.throwIfUploadFailed();
      this.checkDeadline();
      const rowsNow = next ?? api.listDataTableRows(table.id);
      // The next table's first pages come while this one's are written.
      next = rowsOf(tables[index + 1]);
      const entries = await this.archive.addRecordsInEntries(
        (n) => ENTRY.dataTableRows(table.id, n),
        'dataTableRows',
        rowsNow,
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
    const records = workflowRecords(api, {
      concurrency: this.options.detailConcurrency ?? 8,
      ...(this.previous ? { previous: this.previous } : {}),
      onFoldersUnknown: (reason) => this.recordSkip({ resource: FOLDER_PLACEMENT_RESOURCE, reason }),
      onGone: (listed) => this.workflowGone(listed),
    });
    const entry = await this.archive.addRecords(ENTRY.workflows, 'workflows', records, {
      observe: (workflow) => {
        this.seen('workflows', workflow);
        this.observeWorkflow(workflow as Workflow);
        progress.advance('workflows');
      },
    });
    this.counts.workflows = entry.records;
    progress.done('workflows', `${entry.records} workflows`);
  }

  /** Without a closing read of workflows, the one deleted after its listing is named here instead. */
  private workflowGone(listed: Workflow): void {
    if (!this.deps.api.listWorkflowsWithoutGaps) return;
    const { id, name } = listed;
    const object = { resource: 'workflows', id, name, change: 'deleted', archived: false } as const;
    this.warnings.push({ code: 'changed-during-backup', message: describeChange(object) });
  }

  /**
   * The previous archive to reuse unchanged workflows from, unless told to read everything; its
   * warning is recorded once the export reaches workflows, so warnings keep one order.
   */
  private async findPrevious(): Promise<ArchiveWarning | undefined> {
    const { openReader } = this.deps;
    if (this.options.full || !openReader) return undefined;
    const found = await findPreviousArchive(
      { ...this.deps, openReader },
      this.options.instance,
      this.deps.api.baseUrl,
    );
    this.previous = found.previous;
    return found.warning;
  }

  private get historyVersions(): number {
    return this.options.history ?? DEFAULT_HISTORY_VERSIONS;
  }

  private async exportHistory(): Promise<void> {
    const result = await exportWorkflowHistory(this.deps, this.archive, {
      workflowIds: this.references.workflowIds,
      versions: this.historyVersions,
      concurrency: this.options.detailConcurrency ?? 8,
      observe: () => this.seenCounted(HISTORY_RESOURCE),
      ...(this.previous ? { reuse: this.previous.versionsOf.bind(this.previous) } : {}),
      listed: this.graphs,
    });
    if ('skipped' in result) this.recordSkip(result.skipped);
    else if ('records' in result) this.counts[HISTORY_RESOURCE] = result.records;
  }

  private observeWorkflow(workflow: Workflow): void {
    this.references.observe(workflow);
    // A workflow reused from the previous archive takes its versions from there too.
    if (this.historyVersions > 0 && !this.previous?.reused.has(workflow.id)) this.graphs.remember(workflow);
    for (const share of workflow.shared ?? []) this.projectIds.add(share.projectId);
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

  private startRead(
    folderProjects?: string[],
    gate?: (resource: SnapshotResource) => Promise<void> | undefined,
  ): IdentityRead {
    return IdentityRead.start(this.deps.api, {
      // A listing that cannot miss a workflow needs no reading of workflows before and after it.
      ...(this.deps.api.listWorkflowsWithoutGaps ? { skip: ['workflows'] as const } : {}),
      ...(folderProjects ? { folderProjects } : {}),
      ...(gate ? { gate } : {}),
      onItem: () => {
        if (this.stopped) throw new Error('the backup stopped');
        this.checkDeadline();
      },
    });
  }

  /** After a failure: the opening and closing reads stop at their next object, and are waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.releaseFolders?.();
    await this.opening?.settled();
    await this.closing?.settled();
    await this.sourceFacts?.catch(() => {});
    await this.close();
  }

  /** Releases the previous archive (its file or stream). */
  async close(): Promise<void> {
    await this.previousFound?.catch(() => {});
    await this.previous?.close();
  }

  /**
   * The closing check: the source is read once more, and the archive is complete only when every
   * object present at both reads is in it, each id once, and the counts are the records written.
   * Objects created or deleted meanwhile become warnings. Throwing here publishes nothing.
   */
  private async confirm(opening: InstanceIdentities): Promise<void> {
    this.checkDeadline();
    this.deps.progress.start('closing check');
    const closing = await (this.closing ?? this.startRead(folderProjectsOf(opening))).all();
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
