/**
 * What a restore does with an object the target already has: keep the target's (skip), replace it
 * (overwrite) or create a renamed copy (rename). The names a renamed copy takes live here too.
 */
import type { PlanEntry } from './plan-records.js';

export type ConflictPolicy = 'skip' | 'overwrite' | 'rename';
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['skip', 'overwrite', 'rename'];

/**
 * What a restore does with the rows of a data table the target already has (`--data-table-rows`):
 * keep them (the default: rows written since the backup are never lost unless asked), add the
 * archive's after them, or delete them and write the archive's. A table the restore creates always
 * gets the archive's rows.
 */
export type DataTableRowsPolicy = 'skip' | 'append' | 'replace';
export const DATA_TABLE_ROWS_POLICIES: readonly DataTableRowsPolicy[] = ['skip', 'append', 'replace'];

/** The name a renamed copy gets: "Orders (restored)", then "(restored 2)", … not taken by `taken`. */
export function renamedName(name: string, taken: (candidate: string) => boolean, maxLength = 128): string {
  for (let n = 1; ; n += 1) {
    const suffix = n === 1 ? ' (restored)' : ` (restored ${n})`;
    const candidate = `${name.slice(0, maxLength - suffix.length)}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}

/** Variables keys allow only letters, digits and underscores (n8n), so their rename differs. */
export function renamedVariableKey(key: string, taken: (candidate: string) => boolean): string {
  for (let n = 1; ; n += 1) {
    const suffix = n === 1 ? '_RESTORED' : `_RESTORED_${n}`;
    const candidate = `${key.slice(0, 50 - suffix.length)}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}

/**
 * The plan entry for an object whose match in the target differs, as the policy decides: keep the
 * target's, replace it, or create a renamed copy (`rename` picks and claims the new name).
 */
export function decideConflict(
  policy: ConflictPolicy,
  base: Omit<PlanEntry, 'action' | 'reason'>,
  match: { targetId: string; why: string; rename: () => string; extra?: Partial<PlanEntry> },
): PlanEntry {
  const { targetId, why, extra = {} } = match;
  switch (policy) {
    case 'skip':
      return {
        ...base,
        ...extra,
        action: 'skip',
        targetId,
        reason: `${why}; kept the target's (--on-conflict skip)`,
      };
    case 'overwrite':
      return {
        ...base,
        ...extra,
        action: 'update',
        targetId,
        reason: `${why}; replaced by the archive's (--on-conflict overwrite)`,
      };
    case 'rename': {
      const renameTo = match.rename();
      return {
        ...base,
        action: 'create',
        renameTo,
        reason: `${why}; created as "${renameTo}" (--on-conflict rename)`,
      };
    }
  }
}
