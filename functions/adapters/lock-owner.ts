import type { LockOwner } from '../core/ports.js';

/**
 * The holder a ledger lock names, read back from its JSON (the file or S3 lock object); undefined
 * when it is not a well-formed owner, which the stores refuse as held by someone unknown and never
 * take over.
 */
export function parseLockOwner(contents: string): LockOwner | undefined {
  try {
    const value = JSON.parse(contents) as Partial<LockOwner> | null;
    if (
      typeof value?.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string'
    )
      return {
        pid: value.pid,
        host: value.host,
        startedAt: value.startedAt,
        ...(typeof value.endsBy === 'string' ? { endsBy: value.endsBy } : {}),
        ...(typeof value.execution === 'string' ? { execution: value.execution } : {}),
      };
  } catch {
    // not JSON: no owner
  }
  return undefined;
}

/** Whether a lock's holder was an earlier slice of the execution `owner` is a slice of (it is gone). */
export function heldBySameExecution(holder: LockOwner | undefined, owner: LockOwner): boolean {
  return owner.execution !== undefined && holder?.execution === owner.execution;
}

/** The holder as an operator finds it: the execution it is a slice of, if any, then where it runs. */
export function describeHolder(owner: LockOwner): string {
  const where = `pid ${owner.pid} on host ${owner.host}, started ${owner.startedAt}`;
  return owner.execution ? `execution ${owner.execution}, ${where}` : where;
}
