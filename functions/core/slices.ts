/**
 * What a sliced run (a state machine's backup, restore or drill) keeps of its slices, beside its
 * saved state: which execution runs it, how many slices it had, and whether they still move. Each
 * slice, at its start, compares the progress saved with what it was when the slice before started;
 * a slice that ended or died having saved none is a stall, and a second stall in a row fails the
 * run (SlicesStalledError) instead of slicing on until the execution's 24 hours are up.
 */
import { slicesStalled } from './errors.js';

export interface SliceRecord {
  /** The execution the slices belong to. */
  execution: string;
  /** Slices started so far (retries of a crashed slice included). */
  count: number;
  /** The progress saved when the last slice started. */
  progressAtStart: number;
  /** Slices in a row that saved no progress. */
  stalled: number;
}

/** Stalls in a row that fail the run. */
export const STALLS_THAT_FAIL = 2;

/**
 * The record for the slice that starts now, with `progress` saved so far; throws when the slices
 * before it stalled twice in a row. `what` names the run in the message (`the backup of prod`).
 */
export function startSlice(
  previous: SliceRecord | undefined,
  execution: string,
  progress: number,
  what: string,
): SliceRecord {
  if (!previous || previous.execution !== execution)
    return { execution, count: 1, progressAtStart: progress, stalled: 0 };
  const stalled = progress > previous.progressAtStart ? 0 : previous.stalled + 1;
  if (stalled >= STALLS_THAT_FAIL) throw slicesStalled(what, stalled, previous.count);
  return { execution, count: previous.count + 1, progressAtStart: progress, stalled };
}

/** Thrown from the place a sliced run stopped at the end of a slice, once everything is saved. */
export class SliceEnded extends Error {
  constructor() {
    super('the slice ended; the run goes on in the next one');
    this.name = 'SliceEnded';
  }
}

/**
 * When a slice saves and when it stops: at a place it can stop, it saves once `saveEveryMs` has
 * passed since the last save, and saves and stops (SliceEnded) once `endsAt` has passed.
 */
export class SliceClock {
  private lastSave: number;

  constructor(
    private readonly now: () => number,
    private readonly endsAt: number,
    private readonly saveEveryMs: number,
  ) {
    this.lastSave = now();
  }

  /** At a place the run can stop: saves when due, then stops when the slice is over. */
  async at(save: () => Promise<void>): Promise<void> {
    const now = this.now();
    const ending = now >= this.endsAt;
    if (!ending && now - this.lastSave < this.saveEveryMs) return;
    await save();
    this.lastSave = this.now();
    if (ending) throw new SliceEnded();
  }
}
