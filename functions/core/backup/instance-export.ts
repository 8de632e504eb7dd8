/**
 * One run of the exporter (run.ts): each kind's records into its entry (those listed per project
 * last), the workflows with their history, and the closing check before the manifest. The run is a
 * list of steps; a sliced backup (slice.ts) stops between two pages, saves where it stands
 * (export-state.ts) and the next slice takes it up from there.
 */
import type { ArchiveBuilder } from '../archive/builder.js';
import type { ArchiveWarning, Manifest, SkippedResource } from '../archive/format.js';
import { peek, tap } from '../async-iterables.js';
import { recordedSourceFacts } from '../instance/node-types.js';
import { skippedBecause } from '../instance/read.js';
import { EVERY_KIND, kindOf, type SnapshotResource } from '../kinds/index.js';
import type { Kind } from '../kinds/kind.js';
import { WORKFLOWS_ENTRY } from '../kinds/workflows/index.js';
import type { Workflow } from '../n8n-types.js';
import {
  compareIdentities,
  describeChange,
  folderProjectsOf,
  IdentityRead,
  type InstanceIdentities,
  restoredIdentities,
  savedIdentities,
} from './closing-check.js';
import { backupIncomplete, backupPastDeadline } from './errors.js';
import { ExportKept, uniqueWarnings } from './export-kept.js';
import { ExportSlices, type ResumeAt, workflowsPosition } from './export-slices.js';
import type { ExportSlicing, ExportState } from './export-state.js';
import { DEFAULT_HISTORY_VERSIONS, exportWorkflowHistory, HISTORY_RESOURCE } from './history.js';
import { exportPerRecord, type PerRecordExport } from './per-record.js';
import { type PreviousArchive, previousForBackup } from './previous.js';
import type { BackupDeps, BackupOptions } from './run.js';
import { FOLDER_PLACEMENT_RESOURCE, workflowRecords } from './workflows.js';

const DEFAULT_ROWS_PER_CHUNK = 10_000;

type Read = Pick<IdentityRead, 'ready' | 'all' | 'settled' | 'identities'>;

/** One run of the exporter; keeps the small sets of ids the cross-resource checks need (ExportKept). */
export class InstanceExport {
  private readonly kept: ExportKept;
  /** The opening read, started with the run (or taken from an earlier slice); see `IdentityRead`. */
  private opening: Read | undefined;
  /** The closing read, started once the export has listed workflows. */
  private closing: IdentityRead | undefined;
  /** Lets the closing read list the kinds listed per project (the export has listed them, or it failed). */
  private releasePerProject: (() => void) | undefined;
  /** What the manifest records of the source beside the export, and what it had to skip. */
  private sourceFacts: ReturnType<typeof recordedSourceFacts> | undefined;
  /** Set when the run failed: the reads still going stop at their next object. */
  private stopped = false;
  /** The archive an incremental backup reuses unchanged workflows from. */
  private previous: PreviousArchive | undefined;
  /** Settles once the previous archive has been looked for (and read, when there is one). */
  private previousFound: Promise<ArchiveWarning | undefined> | undefined;
  private readonly slices: ExportSlices;

  constructor(
    private readonly deps: BackupDeps,
    private readonly options: BackupOptions,
    private readonly archive: ArchiveBuilder,
    private readonly uploadFailure: () => unknown,
    slicing?: ExportSlicing,
    private readonly resumed?: ExportState,
  ) {
    this.kept = new ExportKept(options.exclude, deps);
    this.slices = new ExportSlices(deps.clock, slicing, resumed, () => this.state());
    if (resumed) this.kept.takeUp(resumed);
  }

  async run(): Promise<void> {
    const { api } = this.deps;
    this.opening = this.resumed
      ? IdentityRead.done(restoredIdentities(this.resumed.opening))
      : this.startRead();
    // The source's version and packages (three small reads) are learnt beside the export.
    this.sourceFacts = this.resumed?.sourceFacts
      ? Promise.resolve(this.resumed.sourceFacts)
      : recordedSourceFacts(api, (skip) => this.kept.factSkips.push(skip));
    this.sourceFacts.catch(() => {});
    // The previous archive is read and verified while the resources before workflows are exported.
    this.previousFound = this.findPrevious();
    this.previousFound.catch(() => {});
    await this.slices.run(this.steps());
  }

  /** The export's steps in order: kinds before workflows, workflows, history, kinds listed per project, the check. */
  private steps(): { id: string; run: () => Promise<void> }[] {
    const kindSteps = (kind: Kind) => [
      { id: `kind:${kind.resource}`, run: () => this.exportKind(kind) },
      ...Object.entries(kind.entries)
        .filter(([, spec]) => typeof spec.name !== 'string' && spec.readFor)
        .map(([resource, spec]) => ({
          id: `records:${resource}`,
          run: () => exportPerRecord(this.perRecordExport(), kind, resource, spec),
        })),
    ];
    return [
      ...EVERY_KIND.filter((k) => !k.listInProject).flatMap((kind) =>
        kind.resource === 'workflows'
          ? [{ id: 'workflows', run: () => this.exportWorkflows() }]
          : kindSteps(kind),
      ),
      { id: 'history', run: () => this.exportHistory() },
      // Kinds listed per project (folders) come last: the project ids are known only now (from
      // projects, credentials and workflows).
      ...EVERY_KIND.filter((k) => k.listInProject).flatMap(kindSteps),
      { id: 'confirm', run: () => this.confirm() },
    ];
  }

  private perRecordExport(): PerRecordExport {
    const check = () => {
      this.throwIfUploadFailed();
      this.checkDeadline();
    };
    const { archive, slices, kept } = this;
    const rowsPerChunk = this.options.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
    return { ...this.deps, archive, rowsPerChunk, slices, kept, check, counted: (r) => this.seenCounted(r) };
  }

  /** The closing read, started to overlap the history entry; kinds listed per project wait for the export's. */
  private startClosingRead(): void {
    const perProject = new Promise<void>((resolve) => {
      this.releasePerProject = resolve;
    });
    const opening = this.opening?.identities ?? new Map();
    this.closing = this.startRead(folderProjectsOf(opening), (resource) =>
      kindOf(resource).listInProject ? perProject : undefined,
    );
  }

  async finish(startedAt: Date): Promise<Manifest> {
    const { version, inventory } = await (this.sourceFacts ??
      recordedSourceFacts(this.deps.api, (skip) => this.kept.factSkips.push(skip)));
    for (const skip of this.kept.factSkips) this.recordSkip(skip);
    const incremental = this.previous?.summary() ?? this.slices.previousSummary();
    return this.archive.finish({
      ...inventory,
      tool: { name: 'n8n-ark', version: this.deps.toolVersion },
      source: { url: this.deps.api.baseUrl, instance: this.options.instance, ...version },
      startedAt: startedAt.toISOString(),
      finishedAt: this.deps.clock.now().toISOString(),
      ...(HISTORY_RESOURCE in this.kept.counts ? { historyVersions: this.historyVersions } : {}),
      ...(incremental ? { incremental } : {}),
      counts: this.kept.counts,
      skipped: this.kept.skipped,
      // A slice that stopped while a gone workflow's notice was in flight names it again.
      warnings: this.resumed ? uniqueWarnings(this.kept.warnings) : this.kept.warnings,
      ...this.kept.coverage.manifestFields(),
      danglingReferences: this.kept.references.declared,
    });
  }

  /** One resource's listing as one entry; unlicensed (a skip) or unreadable (coverage.ts) learnt from its first page. */
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
      if (skip && skip.feature === undefined) return this.kept.coverage.noteUnreadable(resource, skip.scope);
      if (this.recordSkip(skip)) return;
      throw error;
    }
    this.kept.tally.begin(resource);
    const entry = await this.archive.addRecords(entryName, resource, first.items, {
      observe: (record) => {
        this.seen(resource, record);
        progress.advance(resource);
      },
    });
    this.kept.counts[resource] = entry.records;
    progress.done(resource, `${entry.records} ${resource}`);
  }

  private recordSkip(skip: SkippedResource | undefined): boolean {
    if (skip === undefined) return false;
    this.kept.skipped.push(skip);
    this.deps.logger.info('resource skipped', { resource: skip.resource, reason: skip.reason });
    this.deps.progress.done(skip.resource, 'skipped');
    return true;
  }

  /**
   * One kind's entry (excluded: recorded, never read): its records, ids noted for the reference check
   * and projects for the kinds listed per project; its entries split per record are steps of their own.
   */
  private async exportKind(kind: Kind): Promise<void> {
    const { api } = this.deps;
    const read = { concurrency: this.options.detailConcurrency ?? 8, warnings: this.kept.warnings };
    const records = () => kind.backup?.records?.(api, read) ?? kind.list?.(api) ?? this.inKnownProjects(kind);
    const [own] = Object.values(kind.entries);
    if (this.kept.coverage.isExcluded(kind.resource)) this.kept.coverage.recordExcluded(kind.resource);
    else
      await this.exportList(kind.resource as SnapshotResource, String(own?.name), () =>
        tap(records(), (record) => this.noted(kind, record)),
      );
    // The closing read lists the kinds listed per project once the export has listed the last of them.
    if (kind === EVERY_KIND.filter((k) => k.listInProject).at(-1)) this.releasePerProject?.();
  }

  /** An object the export writes: its id for the reference check, the projects it names for the kinds listed per project. */
  private noted(kind: Kind, record: unknown): void {
    const id = (record as { id?: unknown }).id;
    if (typeof id === 'string') this.kept.references.known(kind.resource).add(id);
    for (const projectId of kind.backup?.projectsOf?.(record) ?? []) this.kept.projectIds.add(projectId);
  }

  private async *inKnownProjects(kind: Kind): AsyncGenerator<unknown> {
    for (const projectId of this.kept.projectIds) yield* kind.listInProject?.(this.deps.api, projectId) ?? [];
  }

  private async exportWorkflows(): Promise<void> {
    const { api, progress } = this.deps;
    const at = this.slices.resumeAt('workflows') as ResumeAt<'workflows'> | undefined;
    if (!at) {
      // Before the longest part: a kind the key may not read fails the backup now.
      const list = kindOf('workflows').list;
      await this.kept.coverage.refuseBefore(list && (() => list(api)));
      const unusable = await this.previousFound;
      if (unusable) this.kept.warnings.push(unusable);
      this.kept.tally.begin('workflows');
    } else await this.previousFound;
    await this.opening?.ready('workflows');
    progress.start('workflows');
    const records = workflowRecords(api, {
      concurrency: this.options.detailConcurrency ?? 8,
      ...(this.previous ? { previous: this.previous } : {}),
      ...(at ? { from: at.from, written: this.kept.tally.identities.get('workflows') } : {}),
      onFoldersUnknown: (reason) => this.recordSkip({ resource: FOLDER_PLACEMENT_RESOURCE, reason }),
      // Without a closing read of workflows, the one deleted after its listing is named here instead.
      onGone: (listed) => this.kept.workflowGone(listed, !!api.listWorkflowsWithoutGaps),
    });
    const entry = await this.archive.addRecords(WORKFLOWS_ENTRY, 'workflows', records, {
      observe: (workflow) => {
        this.seen('workflows', workflow);
        this.observeWorkflow(workflow as Workflow);
        progress.advance('workflows');
      },
      ...this.slices.pausable(() =>
        workflowsPosition(this.kept.tally.identities.get('workflows'), this.kept.gone),
      ),
    });
    this.kept.counts.workflows = entry.records;
    progress.done('workflows', `${entry.records} workflows`);
  }

  /** The previous archive to reuse from (previous.ts, `previousForBackup`); its warning is recorded at workflows. */
  private async findPrevious(): Promise<ArchiveWarning | undefined> {
    const { openReader } = this.deps;
    if (this.options.full || !openReader) return undefined;
    const found = await previousForBackup({ ...this.deps, openReader }, this.options, this.resumed, (step) =>
      this.slices.isDone(step),
    );
    this.previous = found.previous;
    return found.warning;
  }

  private get historyVersions(): number {
    return this.options.history ?? DEFAULT_HISTORY_VERSIONS;
  }

  private async exportHistory(): Promise<void> {
    this.startClosingRead();
    const at = this.slices.resumeAt('history') as ResumeAt<'history'> | undefined;
    let workflows = at?.workflows ?? 0;
    const result = await exportWorkflowHistory(this.deps, this.archive, {
      workflowIds: [...this.kept.references.workflowIds].slice(workflows),
      versions: this.historyVersions,
      concurrency: this.options.detailConcurrency ?? 8,
      observe: () => this.seenCounted(HISTORY_RESOURCE),
      ...(this.previous ? { reuse: this.previous.versionsOf.bind(this.previous) } : {}),
      listed: this.kept.graphs,
      ...(at ? { resumed: true } : {}),
      onWorkflow: () => {
        workflows += 1;
      },
      ...this.slices.pausable(() => ({ step: 'history', workflows })),
    });
    if ('skipped' in result) this.recordSkip(result.skipped);
    else if ('records' in result) this.kept.counts[HISTORY_RESOURCE] = result.records;
  }

  private observeWorkflow(workflow: Workflow): void {
    this.kept.references.observe(workflow);
    // A workflow reused from the previous archive takes its versions from there too.
    if (this.historyVersions > 0 && !this.previous?.reused.has(workflow.id))
      this.kept.graphs.remember(workflow);
    this.noted(kindOf('workflows'), workflow);
  }

  /** Every record on its way into the archive: tallied, and the deadline checked. */
  private seen(resource: SnapshotResource, record: unknown): void {
    this.kept.tally.record(resource, record);
    this.checkDeadline();
  }

  /** A record tallied by count only (rows, versions): counted, the deadline and the upload checked, progress shown. */
  private seenCounted(resource: string): void {
    this.throwIfUploadFailed();
    this.kept.tally.count(resource);
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
        ...EVERY_KIND.map((k) => k.resource as SnapshotResource).filter((r) =>
          this.kept.coverage.isExcluded(r),
        ),
      ],
      ...(folderProjects ? { folderProjects } : {}),
      ...(gate ? { gate } : {}),
      onItem: () => {
        if (this.stopped) throw new Error('the backup stopped');
        this.checkDeadline();
      },
    });
  }

  /** After a failure or at a slice's end: the opening and closing reads stop at their next object, and are waited for. */
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
  private async confirm(): Promise<void> {
    this.kept.coverage.refuseIfIncomplete();
    this.kept.references.checkForward();
    const opening = (await this.opening?.all()) ?? new Map();
    this.checkDeadline();
    this.deps.progress.start('closing check');
    const closing = await (this.closing ?? this.startRead(folderProjectsOf(opening))).all();
    this.deps.progress.done('closing check');
    const { missing, changed } = compareIdentities(opening, this.kept.tally.identities, closing);
    for (const object of changed)
      this.kept.warnings.push({ code: 'changed-during-backup', message: describeChange(object) });
    const problems = this.kept.tally.problems(missing, this.kept.counts, (r) => this.archive.recordsOf(r));
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

  /** Where the export stands, for a sliced backup's save (the opening read and the source's facts done first). */
  private async state(): Promise<Omit<ExportState, 'done' | 'at'>> {
    const opening: InstanceIdentities = (await this.opening?.all()) ?? new Map();
    const sourceFacts = await this.sourceFacts;
    const previousUnusable = await this.previousFound?.catch(() => undefined);
    return {
      ...this.kept.saved(),
      ...(sourceFacts ? { sourceFacts } : {}),
      opening: savedIdentities(opening),
      ...(this.previous
        ? { previous: { location: this.previous.location, ...this.previous.summaryOfReuse() } }
        : this.resumed?.previous && { previous: this.resumed.previous }),
      ...(previousUnusable ? { previousUnusable } : {}),
    };
  }
}
