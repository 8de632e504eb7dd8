/**
 * How long each part of a drill took. The restore already tells its progress task by task (verify,
 * plan, each apply step, closing check); StepTimer listens to that, by the clock, and passes it on.
 * Steps belong to kinds (KINDS), so the time per kind is the sum of its steps.
 */
import { KINDS } from '../kinds/index.js';
import type { Clock, Progress } from '../ports.js';

export interface StepTime {
  step: string;
  /** The kind whose step it is (`workflows` for `activation`), or undefined for a phase (verify, plan, diff). */
  kind?: string;
  ms: number;
}

const KIND_OF_STEP: ReadonlyMap<string, string> = new Map(
  KINDS.flatMap((kind) => kind.steps.map((step) => [step.name as string, kind.resource as string])),
);

export class StepTimer implements Progress {
  private readonly started = new Map<string, number>();
  private readonly times: StepTime[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly inner: Progress,
    earlier: readonly StepTime[] = [],
  ) {
    this.times.push(...earlier);
  }

  start(task: string, total?: number): void {
    if (!this.started.has(task)) this.started.set(task, this.clock.now().getTime());
    this.inner.start(task, total);
  }

  advance(task: string, by?: number): void {
    this.inner.advance(task, by);
  }

  /** `done('plan')` closes `plan: reading the archive` and `plan: reading the target` too. */
  done(task: string, summary?: string): void {
    const parts = [...this.started.entries()].filter(
      ([name]) => name === task || name.startsWith(`${task}:`),
    );
    if (parts.length > 0) {
      const from = Math.min(...parts.map(([, at]) => at));
      for (const [name] of parts) this.started.delete(name);
      this.record(task, this.clock.now().getTime() - from);
    }
    this.inner.done(task, summary);
  }

  /** Times a phase the restore does not report (wipe, diff). */
  async time<T>(step: string, work: () => Promise<T>): Promise<T> {
    const from = this.clock.now().getTime();
    try {
      return await work();
    } finally {
      this.record(step, this.clock.now().getTime() - from);
    }
  }

  /** Every step in the order it ended; a step run in two slices of a restore counts twice, summed by perKind. */
  steps(): StepTime[] {
    return this.times.map((t) => ({ ...t }));
  }

  private record(step: string, ms: number): void {
    const kind = KIND_OF_STEP.get(step);
    this.times.push({ step, ...(kind ? { kind } : {}), ms });
  }
}

/** Time per kind, in KINDS order, for the kinds that took any step. */
export function timePerKind(steps: readonly StepTime[]): { kind: string; ms: number }[] {
  const sums = new Map<string, number>();
  for (const s of steps) if (s.kind) sums.set(s.kind, (sums.get(s.kind) ?? 0) + s.ms);
  return KINDS.filter((k) => sums.has(k.resource)).map((k) => ({
    kind: k.resource,
    ms: sums.get(k.resource) ?? 0,
  }));
}
