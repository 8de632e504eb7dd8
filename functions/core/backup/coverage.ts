/**
 * What a backup covers: every kind, unless the instance is not licensed for it (skipped, with the
 * reason) or the operator left it out on purpose (excluded, with who asked). A kind the API key may
 * not read is neither: it would make an incomplete archive that looks complete, so it fails the
 * backup, naming the kind and the scope n8n wants.
 */
import type { ExcludedResource } from '../archive/format.js';
import { skippedBecause } from '../instance/read.js';
import type { Logger, Progress } from '../ports.js';
import { backupLacksKinds, type UnreadableKind } from './errors.js';

/** What a sliced backup saves of its coverage between slices. */
export interface CoverageState {
  excluded: ExcludedResource[];
  unreadable: UnreadableKind[];
}

export class BackupCoverage {
  readonly excluded: ExcludedResource[] = [];
  private readonly unreadable: UnreadableKind[] = [];

  constructor(
    private readonly exclude: { resources: readonly string[]; askedBy: string } | undefined,
    private readonly deps: { logger: Logger; progress: Progress },
  ) {}

  isExcluded(resource: string): boolean {
    return this.exclude?.resources.includes(resource) === true;
  }

  /** Excluded, or found unreadable: references into it cannot be judged. */
  isLeftOut(resource: string): boolean {
    return this.isExcluded(resource) || this.unreadable.some((u) => u.resource === resource);
  }

  /** A resource left out on purpose: recorded with who asked (once, whatever slice), never read. */
  recordExcluded(resource: string): void {
    const askedBy = this.exclude?.askedBy ?? 'the operator';
    if (!this.excluded.some((e) => e.resource === resource)) this.excluded.push({ resource, askedBy });
    this.deps.logger.info('resource excluded', { resource, askedBy });
    this.deps.progress.done(resource, 'excluded');
  }

  noteUnreadable(resource: string, scope: string | undefined): void {
    this.unreadable.push({ resource, ...(scope ? { scope } : {}) });
    this.deps.progress.done(resource, `not readable: the key lacks ${scope ?? 'a scope'}`);
  }

  /**
   * A read that failed part-way (a table's rows): a scope the key lacks fails the backup as an
   * unreadable kind, naming the scope; anything else fails it as it is.
   */
  rethrow(resource: string, error: unknown): never {
    const skip = skippedBecause(resource, error);
    if (!skip || skip.feature !== undefined) throw error;
    this.noteUnreadable(resource, skip.scope);
    throw backupLacksKinds(this.unreadable);
  }

  /**
   * Before the required kind's long export: fails now when a kind the key may not read was not
   * excluded, unless the key may not read the required kind either: that one fails as itself (a
   * backup that cannot read workflows is no backup at all, exit 3), so its first page is asked for.
   */
  async refuseBefore(required: (() => AsyncIterable<unknown>) | undefined): Promise<void> {
    if (this.unreadable.length === 0) return;
    const iterator = required?.()[Symbol.asyncIterator]();
    try {
      await iterator?.next();
    } finally {
      await iterator?.return?.();
    }
    this.refuseIfIncomplete();
  }

  /** Fails (nothing published) when a kind the key may not read was not excluded. */
  refuseIfIncomplete(): void {
    if (this.unreadable.length > 0) throw backupLacksKinds(this.unreadable);
  }

  saved(): CoverageState {
    return { excluded: [...this.excluded], unreadable: [...this.unreadable] };
  }

  takeUp(state: CoverageState): void {
    this.excluded.push(...state.excluded);
    this.unreadable.push(...state.unreadable);
  }

  /** The manifest's `excluded`, only when something was. */
  manifestFields(): { excluded?: ExcludedResource[] } {
    return this.excluded.length > 0 ? { excluded: this.excluded } : {};
  }
}
