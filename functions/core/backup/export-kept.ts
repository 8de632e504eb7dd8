/**
 * What an export keeps as it goes — counts, skips, warnings, the ids the reference check and the
 * closing check need, the projects the kinds listed per project are read in, the graphs the history
 * entry will want — and how a sliced backup saves it between slices and takes it up again.
 */
import type { ArchiveWarning, SkippedResource } from '../archive/format.js';
import { BackupReferences } from '../references/backup-check.js';
import { ArchiveTally } from './closing-check.js';
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
>;

export class ExportKept {
  readonly counts: Record<string, number> = {};
  readonly skipped: SkippedResource[] = [];
  readonly warnings: ArchiveWarning[] = [];
  /** What the source's facts could not record (community packages unreadable). */
  readonly factSkips: SkippedResource[] = [];
  /** The projects records named: the kinds listed per project are read in them. */
  readonly projectIds = new Set<string>();
  readonly references = new BackupReferences(this.warnings, (resource) =>
    this.skipped.some((s) => s.resource === resource),
  );
  /** What went into the archive, for the closing check. */
  tally = new ArchiveTally();
  /** The graphs the listing carried of versions the history entry will want. */
  readonly graphs = new ListedGraphs();
  /** Listed workflows gone before their read. */
  gone = 0;

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
