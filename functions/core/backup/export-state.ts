/**
 * Where a sliced backup's export stands between two slices, as JSON: the steps done, where the step
 * under way stands (a table's rows: its listing's position; workflows: the offset and ids to take
 * the listing up after; history: how many workflows' versions are written), and the small sets the
 * export keeps as it goes (ids and names, counts, warnings). The next slice takes it up
 * (InstanceExport with `resume`) exactly where the bytes saved with it end.
 */
import type { ArchiveWarning, SkippedResource } from '../archive/format.js';
import type { recordedSourceFacts } from '../instance/node-types.js';
import type { GaplessStart, ListingPosition } from '../ports.js';
import type { ReferencesState } from '../references/backup-check.js';
import type { TallyState } from './closing-check.js';
import type { CoverageState } from './coverage.js';

/** Where the step under way stands. */
export type StepPosition =
  | {
      step: string;
      /** A per-record entry (a table's rows): the parent it is at, its records so far, the listing's position. */
      perRecord: { parent: number; records: number; total: number; position: ListingPosition };
    }
  | { step: 'workflows'; from: GaplessStart }
  | { step: 'history'; workflows: number };

export interface ExportState {
  /** The steps finished, by id (export-steps in InstanceExport). */
  done: string[];
  at?: StepPosition;
  counts: Record<string, number>;
  skipped: SkippedResource[];
  warnings: ArchiveWarning[];
  factSkips: SkippedResource[];
  /** The source's version and community packages, read once. */
  sourceFacts?: Awaited<ReturnType<typeof recordedSourceFacts>>;
  projectIds: string[];
  references: ReferencesState;
  tally: TallyState;
  /** The opening read's ids and names, by resource. */
  opening: Record<string, [string, string][]>;
  /** The previous archive an incremental backup takes from, and what it took so far. */
  previous?: { location: string; reused: string[]; versionsReused: number };
  /** Why the previous archive was not used, to be recorded once workflows are written. */
  previousUnusable?: ArchiveWarning;
  /** Listed workflows gone before their read (the workflows listing's offset counts them). */
  gone: number;
  /** The graphs the listing carried for the history entry (JSON text by workflow and version). */
  graphs?: { graphs: Record<string, Record<string, string>>; overBudget: number };
  /** Kinds excluded and kinds found unreadable so far (coverage.ts). */
  coverage?: CoverageState;
  /** Records written in all: how far the export has come (a slice that adds none made no progress). */
  progress: number;
}

export { SliceEnded } from '../slices.js';

/** When a slice ends and how often it saves, and what saves. */
export interface ExportSlicing {
  /** Epoch ms: at the first place after it the export can stop, it saves and stops. */
  endsAt: number;
  /** Saves at a place it can stop at least this often (ms), so a slice that dies loses little. */
  saveEveryMs: number;
  /** Saves the export's state with everything the writer has, to be taken up from there. */
  save(state: ExportState): Promise<void>;
}
