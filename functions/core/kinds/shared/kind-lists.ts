/**
 * Every list the codebase needs of its kinds, derived from the one list (kinds/index.ts): the
 * resources a snapshot has and a restore writes, the restore's steps in order, the counts a report
 * carries, and a kind by its resource. A test that adds a fixture kind derives them again from its
 * longer list (test/integration/fixture-kind.test.ts).
 */
import type { Kind } from '../kind.js';

export interface KindLists {
  readonly EVERY_KIND: readonly Kind[];
  /** Every resource an instance snapshot has (what a diff compares). */
  readonly SNAPSHOT_RESOURCES: readonly string[];
  /** What a restore writes, in the order it writes them. */
  readonly RESTORE_RESOURCES: readonly string[];
  /** The applier's steps, in order; a step marked `last` runs after every kind's others. */
  readonly RESTORE_STEPS: readonly string[];
  /** Resources counted in a report: the restored ones, each followed by what it also counts (rows). */
  readonly COUNTED_RESOURCES: readonly string[];
  /**
   * What an operator may leave out of a backup on purpose: each kind but the required one, and
   * what it also counts (a table's rows).
   */
  readonly EXCLUDABLE_RESOURCES: readonly string[];
  /** The kind of a resource. */
  kindOf(resource: string): Kind;
}

export function kindLists(kinds: readonly Kind[]): KindLists {
  const steps = kinds.flatMap((kind) => kind.steps);
  return {
    EVERY_KIND: kinds,
    SNAPSHOT_RESOURCES: kinds.map((kind) => kind.resource),
    RESTORE_RESOURCES: kinds.filter((kind) => kind.restored).map((kind) => kind.resource),
    RESTORE_STEPS: [...steps.filter((s) => !s.last), ...steps.filter((s) => s.last)].map((s) => s.name),
    COUNTED_RESOURCES: kinds.flatMap((kind) =>
      kind.restored ? [kind.resource, ...(kind.alsoCounted ?? [])] : [],
    ),
    EXCLUDABLE_RESOURCES: kinds.flatMap((kind) =>
      kind.required ? [] : [kind.resource, ...(kind.alsoCounted ?? [])],
    ),
    kindOf(resource) {
      const kind = kinds.find((k) => k.resource === resource);
      if (!kind) throw new Error(`no kind for ${resource}`);
      return kind;
    },
  };
}
