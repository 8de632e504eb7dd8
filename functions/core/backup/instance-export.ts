/**
 * One run of the exporter (run.ts): each kind's records into its entry (kind by kind, those listed
 * per project last), the workflows with their history, and the closing check before the manifest
 * is written.
 */
import type { ArchiveBuilder } from '../archive/builder.js';
import type { ArchiveWarning, Manifest, SkippedResource } from '../archive/format.js';
import { peek, readAhead, tap } from '../async-iterables.js';
import { recordedSourceFacts } from '../instance/node-types.js';
import { skippedBecause } from '../instance/read.js';
import { EVERY_KIND, kindOf, type SnapshotResource } from '../kinds/index.js';
import type { ArchiveEntrySpec, Kind } from '../kinds/kind.js';
import { WORKFLOWS_ENTRY } from '../kinds/workflows/index.js';
import type { Workflow } from '../n8n-types.js';
import { BackupReferences } from '../references/backup-check.js';
import {
  ArchiveTally,
  compareIdentities,
  describeChange,
  folderProjectsOf,
  IdentityRead,
  type InstanceIdentities,
} from './closing-check.js';
import { BackupCoverage } from './coverage.js';
import { backupIncomplete, backupPastDeadline } from './errors.js';
import { DEFAULT_HISTORY_VERSIONS, exportWorkflowHistory, HISTORY_RESOURCE } from './history.js';
import { ListedGraphs } from './listed-versions.js';
import { findPreviousArchive, type PreviousArchive } from './previous.js';
import type { BackupDeps, BackupOptions } from './run.js';
import { FOLDER_PLACEMENT_RESOURCE, workflowRecords } from './workflows.js';

const DEFAULT_ROWS_PER_CHUNK = 10_000;

/** One run of the exporter; holds the small sets of ids the cross-resource checks need. */
export class InstanceExport {
  private readonly counts: Record<string, number> = {};
  private readonly skipped: SkippedResource[] = [];
  /** Excluded kinds, and kinds the key may not read (which fail the backup). */
  private readonly coverage: BackupCoverage;
  private readonly warnings: ArchiveWarning[] = [];
  private readonly projectIds = new Set<string>();
  private readonly references = new BackupReferences(
    this.warnings,
    (resource) => this.skipped.some((s) => s.resource === resource) || this.coverage.isLeftOut(resource),
  );
  /** What went into the archive, for the closing check. */
  private readonly tally = new ArchiveTally();
  /** The opening read, started with the run; see `IdentityRead`. */
  private opening: IdentityRead | undefined;
  /** The closing read, started once the export has listed workflows. */
  private closing: IdentityRead | undefined;
  /** Lets the closing read list the kinds listed per project (the export has listed them, or it failed). */
  private releasePerProject: (() => void) | undefined;
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
  ) {
    this.coverage = new BackupCoverage(options.exclude, deps);
  }

  async run(): Promise<void> {
    const { api } = this.deps;
    this.opening = this.startRead();
    // The source's version and packages (three small reads) are learnt beside the export.
    this.sourceFacts = recordedSourceFacts(api, (skip) => this.factSkips.push(skip));
    this.sourceFacts.catch(() => {});
    // The previous archive is read and verified while the resources before workflows are exported.
    this.previousFound = this.findPrevious();
    this.previousFound.catch(() => {});
    for (const kind of EVERY_KIND.filter((k) => !k.listInProject)) {
      if (kind.resource !== 'workflows') await this.exportKind(kind);
      else {
        // Before the longest part: a kind the key may not read fails the backup now.
        const list = kind.list;
        await this.coverage.refuseBefore(list && (() => list(api)));
        const unusable = await this.previousFound;
        if (unusable) this.warnings.push(unusable);
        await this.exportWorkflows();
      }
    }
    const perProjectListed = this.startClosingRead();
    await this.exportHistory();
    // Kinds listed per project (folders) come last: the project ids are known only now (from
    // projects, credentials and workflows).
    for (const kind of EVERY_KIND.filter((k) => k.listInProject)) await this.exportKind(kind);
    perProjectListed();
    this.coverage.refuseIfIncomplete();
    this.references.checkForward();
    await this.confirm(await this.opening.all());
  }

  /**
   * Starts the closing read once every kind but those listed per project has been listed by the
   * export, so it overlaps the history entry; those wait for the export's (the returned call
   * releases them).
   */
  private startClosingRead(): () => void {
    const perProject = new Promise<void>((resolve) => {
      this.releasePerProject = resolve;
    });
    const opening = this.opening?.identities ?? new Map();
    this.closing = this.startRead(folderProjectsOf(opening), (resource) =>
      kindOf(resource).listInProject ? perProject : undefined,
    );
    return () => this.releasePerProject?.();
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
      ...this.coverage.manifestFields(),
      warnings: this.warnings,
      danglingReferences: this.references.declared,
    });
  }

  /**
   * Writes one resource's listing as one entry. An unlicensed feature or a scope the key lacks
   * becomes a recorded skip, learnt from the first page before the entry is started.
   */
  private async exportList(
    resource: SnapshotResource,
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
      const skip = skippedBecause(resource, error);
      // Unlicensed is a fact of the instance; a scope the key lacks is a backup that would be incomplete.
      if (skip && skip.feature === undefined) return this.coverage.noteUnreadable(resource, skip.scope);
      if (this.recordSkip(skip)) return;
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

  /**
   * One kind's entry: its backup records (else its listing; per known project for a kind listed so),
   * each id noted for the reference check and each project it names for the kinds listed per
   * project; then its entries split per record (a table's rows).
   */
  private async exportKind(kind: Kind): Promise<void> {
    const { api } = this.deps;
    if (this.coverage.isExcluded(kind.resource)) return this.coverage.recordExcluded(kind.resource);
    const read = { concurrency: this.options.detailConcurrency ?? 8, warnings: this.warnings };
    const records = () => kind.backup?.records?.(api, read) ?? kind.list?.(api) ?? this.inKnownProjects(kind);
    const [own] = Object.values(kind.entries);
    await this.exportList(kind.resource as SnapshotResource, String(own?.name), () =>
      tap(records(), (record) => this.noted(kind, record)),
    );
    for (const [resource, spec] of Object.entries(kind.entries))
      if (typeof spec.name !== 'string' && spec.readFor)
        await this.exportPerRecord(kind, resource, spec).catch((error: unknown) =>
          this.coverage.rethrow(resource, error),
        );
  }

  /** An object the export writes: its id for the reference check, the projects it names for the kinds listed per project. */
  private noted(kind: Kind, record: unknown): void {
    const id = (record as { id?: unknown }).id;
    if (typeof id === 'string') this.references.known(kind.resource).add(id);
    for (const projectId of kind.backup?.projectsOf?.(record) ?? []) this.projectIds.add(projectId);
  }

  private async *inKnownProjects(kind: Kind): AsyncGenerator<unknown> {
    for (const projectId of this.projectIds) yield* kind.listInProject?.(this.deps.api, projectId) ?? [];
  }

  /** An entry split per record of its kind (a table's rows), in chunks; each record's first pages read ahead. */
  private async exportPerRecord(kind: Kind, resource: string, spec: ArchiveEntrySpec): Promise<void> {
    const { api, progress } = this.deps;
    const { name, readFor } = spec;
    if (typeof name === 'string' || !readFor) return;
    if (this.coverage.isExcluded(resource)) return this.coverage.recordExcluded(resource);
    const parents = [...(this.tally.identities.get(kind.resource as SnapshotResource)?.keys() ?? [])];
    const rowsPerChunk = this.options.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
    let records = 0;
    progress.start(resource);
    const recordsOf = (parent: string | undefined) =>
      parent === undefined ? undefined : readAhead(readFor(api, parent));
    let next = recordsOf(parents[0]);
    for (const [index, parent] of parents.entries()) {
      this.throwIfUploadFailed();
      this.checkDeadline();
      const now = next ?? readFor(api, parent);
      // The next record's first pages come while this one's are written.
      next = recordsOf(parents[index + 1]);
      const entries = await this.archive.addRecordsInEntries(
        (n) => name(parent, n),
        resource,
        now,
        rowsPerChunk,
        {
          dataTableId: parent,
          observe: () => this.seenCounted(resource),
        },
      );
      for (const entry of entries) records += entry.records;
    }
    if (!this.skipped.some((s) => s.resource === kind.resource)) this.counts[resource] = records;
    progress.done(resource, `${records} rows`);
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
    const entry = await this.archive.addRecords(WORKFLOWS_ENTRY, 'workflows', records, {
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
    this.noted(kindOf('workflows'), workflow);
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
      // A listing that cannot miss a workflow needs no reading of workflows before and after it;
      // what the operator excluded is not read at all.
      skip: [
        ...(this.deps.api.listWorkflowsWithoutGaps ? (['workflows'] as const) : []),
        ...EVERY_KIND.map((k) => k.resource as SnapshotResource).filter((r) => this.coverage.isExcluded(r)),
      ],
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
    this.releasePerProject?.();
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
    throw backupPastDeadline(deadline);
  }

  private throwIfUploadFailed(): void {
    const failure = this.uploadFailure();
    if (failure) throw failure;
  }
}
