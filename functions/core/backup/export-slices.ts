/**
 * The export's steps as a sliced backup runs them: steps an earlier slice finished are left out,
 * the step under way is taken up where it stood, and between two pages (or two steps) the export
 * saves where it stands — at least every `saveEveryMs`, and once the slice's time is up, after
 * which it stops (SliceEnded). Without slicing (the CLI, one Lambda invocation) the steps simply run.
 */
import type { RecordsOptions } from '../archive/builder.js';
import type { Clock, ListingPosition, PagedListing, PositionedListing } from '../ports.js';
import { type ExportSlicing, type ExportState, SliceEnded, type StepPosition } from './export-state.js';

type PositionOf<K extends string> = Extract<StepPosition, Record<K, unknown>>;
/** Where a step was stopped, as the step reads it back. */
export type ResumeAt<K extends 'perRecord' | 'workflows' | 'history'> = K extends 'perRecord'
  ? PositionOf<'perRecord'>['perRecord']
  : K extends 'workflows'
    ? { from: Extract<StepPosition, { step: 'workflows' }>['from'] }
    : { workflows: number };

export class ExportSlices {
  private readonly done: Set<string>;
  private at: StepPosition | undefined;
  private lastSave: number;

  constructor(
    private readonly clock: Clock,
    private readonly slicing: ExportSlicing | undefined,
    private readonly resumed: ExportState | undefined,
    private readonly state: () => Promise<Omit<ExportState, 'done' | 'at'>>,
  ) {
    this.done = new Set(resumed?.done ?? []);
    this.at = resumed?.at;
    this.lastSave = clock.now().getTime();
  }

  /** Runs the steps not done yet, in order; a sliced run may stop between two of them. */
  async run(steps: { id: string; run: () => Promise<void> }[]): Promise<void> {
    for (const step of steps) {
      if (this.done.has(step.id)) continue;
      await step.run();
      this.done.add(step.id);
      this.at = undefined;
      if (this.slicing && step !== steps.at(-1)) await this.maybeSave(async () => true);
    }
  }

  isDone(step: string): boolean {
    return this.done.has(step);
  }

  /** Where `step` was stopped by an earlier slice (once: the step then goes on from there). */
  resumeAt(step: string): unknown {
    const at = this.at;
    if (!at || at.step !== step) return undefined;
    if ('perRecord' in at) return at.perRecord;
    if ('from' in at) return { from: at.from };
    return { workflows: at.workflows };
  }

  /**
   * For a step whose records a sliced backup may stop between: the builder's `afterPage`, saving
   * (the entry cut first) where `where` says the step stands. `where` answering undefined (a
   * listing that cannot say where it is) lets that page go by.
   */
  pausable(where: () => StepPosition | undefined): Pick<RecordsOptions, 'afterPage'> {
    if (!this.slicing) return {};
    return {
      afterPage: (cut) =>
        this.maybeSave(async () => {
          const position = where();
          if (!position) return false;
          await cut();
          this.at = position;
          return true;
        }),
    };
  }

  /** What the manifest says of the previous archive when no slice reopened it (its steps were done). */
  previousSummary():
    | { previousArchive: string; workflowsReused: number; versionsReused: number }
    | undefined {
    const previous = this.resumed?.previous;
    if (!previous) return undefined;
    return {
      previousArchive: previous.location,
      workflowsReused: previous.reused.length,
      versionsReused: previous.versionsReused,
    };
  }

  /** Saves when due (`prepare` may decline: false), and ends the slice when its time is up. */
  private async maybeSave(prepare: () => Promise<boolean | undefined>): Promise<void> {
    const slicing = this.slicing;
    if (!slicing) return;
    const now = this.clock.now().getTime();
    const ending = now >= slicing.endsAt;
    if (!ending && now - this.lastSave < slicing.saveEveryMs) return;
    if ((await prepare()) === false) return;
    const state = await this.state();
    await slicing.save({ ...state, done: [...this.done], ...(this.at ? { at: this.at } : {}) });
    this.lastSave = this.clock.now().getTime();
    if (ending) throw new SliceEnded();
  }
}

/**
 * A listing read page by page that says where it stood after the last page handed out, when it
 * can (a PositionedListing); otherwise the listing as it is, with no position.
 */
export function positioned<T>(listing: AsyncIterable<T>): {
  listing: AsyncIterable<T>;
  position: () => ListingPosition | undefined;
} {
  const source = listing as Partial<PositionedListing<T>>;
  const positionedPages = source.positioned?.bind(source);
  if (!positionedPages) return { listing, position: () => undefined };
  let last: ListingPosition | undefined;
  const pages = async function* (): AsyncGenerator<readonly T[]> {
    for await (const { items, position } of positionedPages()) {
      last = position;
      yield items;
    }
  };
  const paged: PagedListing<T> = {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page;
    },
  };
  return { listing: paged, position: () => last };
}

/** Workflow ids a taken-up listing of workflows must meet again (a page's worth). */
const ANCHOR_IDS = 250;

/**
 * Where a later slice takes the workflows listing up: just before the last one written (the
 * listing's offset counts those gone before their read too), after the ids written last.
 */
export function workflowsPosition(
  written: ReadonlyMap<string, string> | undefined,
  gone: number,
): StepPosition | undefined {
  const ids = [...(written?.keys() ?? [])];
  if (ids.length === 0) return undefined;
  return {
    step: 'workflows',
    from: { offset: Math.max(0, ids.length + gone - 1), after: ids.slice(-ANCHOR_IDS) },
  };
}
