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
      };
  } catch {
    // not JSON: no owner
  }
  return undefined;
}
