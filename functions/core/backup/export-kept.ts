/**
 * What an export keeps as it goes — counts, skips, warnings, the ids the reference check and the
 * closing check need, the projects the kinds listed per project are read in, the graphs the history
 * entry will want — and how a sliced backup saves it between slices and takes it up again.
 */
import type { ArchiveWarning, SkippedResource } from '../archive/format.js';
import type { Logger, Progress } from '../ports.js';
import { BackupReferences } from '../references/backup-check.js';
import { ArchiveTally, describeChange } from './closing-check.js';
import { BackupCoverage } from './coverage.js';
import type { ExportState } from './export-state.js';
import { ListedGraphs } from './listed-versions.js';

type Kept = Pick<
  ExportState,
  | 'counts'
  | 'skipped'
  | 'warnings'
  | 'factSkips'
  | 'projectIds'
  | 'references'
  | 'tally'
  | 'gone'
  | 'graphs'
  | 'progress'
  | 'coverage'
>;

export class ExportKept {
  readonly counts: Record<string, number> = {};
  readonly skipped: SkippedResource[] = [];
  readonly warnings: ArchiveWarning[] = [];
  /** What the source's facts could not record (community packages unreadable). */
  readonly factSkips: SkippedResource[] = [];
  /** The projects records named: the kinds listed per project are read in them. */
  readonly projectIds = new Set<string>();
  /** Kinds excluded on purpose, and kinds the key may not read (which fail the backup). */
  readonly coverage: BackupCoverage;
  readonly references: BackupReferences;
  /** What went into the archive, for the closing check. */
  tally = new ArchiveTally();
  /** The graphs the listing carried of versions the history entry will want. */
  readonly graphs = new ListedGraphs();
  /** Listed workflows gone before their read. */
  gone = 0;

  constructor(
    exclude: { resources: readonly string[]; askedBy: string } | undefined,
    deps: { logger: Logger; progress: Progress },
  ) {
    this.coverage = new BackupCoverage(exclude, deps);
    this.references = new BackupReferences(
      this.warnings,
      (resource) => this.skipped.some((s) => s.resource === resource) || this.coverage.isLeftOut(resource),
    );
  }

  /** A listed workflow deleted before its read; named here when no closing read of workflows will name it. */
  workflowGone(listed: { id: string; name: string }, nameIt: boolean): void {
    this.gone += 1;
    if (!nameIt) return;
    const object = {
      resource: 'workflows',
      id: listed.id,
      name: listed.name,
      change: 'deleted',
      archived: false,
    } as const;
    this.warnings.push({ code: 'changed-during-backup', message: describeChange(object) });
  }

  saved(): Kept {
    const tally = this.tally.saved();
    return {
      counts: { ...this.counts },
      skipped: [...this.skipped],
      warnings: [...this.warnings],
      factSkips: [...this.factSkips],
      projectIds: [...this.projectIds],
      references: this.references.saved(),
      tally,
      gone: this.gone,
      graphs: this.graphs.saved(),
      progress: Object.values(tally.seen).reduce((a, b) => a + b, 0),
      coverage: this.coverage.saved(),
    };
  }

  takeUp(state: Kept): void {
    Object.assign(this.counts, state.counts);
    this.skipped.push(...state.skipped);
    this.warnings.push(...state.warnings);
    this.factSkips.push(...state.factSkips);
    for (const id of state.projectIds) this.projectIds.add(id);
    this.references.restore(state.references);
    this.tally = ArchiveTally.restored(state.tally);
    this.gone = state.gone;
    if (state.graphs) this.graphs.restore(state.graphs);
    if (state.coverage) this.coverage.takeUp(state.coverage);
  }
}

/** Warnings with each message once, in their first order. */
export function uniqueWarnings(warnings: ArchiveWarning[]): ArchiveWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const key = `${w.code}\u0000${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
