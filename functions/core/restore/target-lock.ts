/**
 * One restore per target. The ledger's lock keeps one restore per ledger, but two restores into
 * one target with two ledgers would each plan against the target before the other wrote, and each
 * create what the other creates (53 workflows twice, in the probe of issue 28). So a restore that
 * writes also holds a lock named after its target, in the same kind of store as its ledger's lock
 * (a local folder for the CLI, the archive bucket for the Lambdas), and refuses while another
 * restore holds it. Taken after the ledger's lock and released before it; a dry run takes neither.
 */
import { createHash } from 'node:crypto';
import { LedgerLockedError } from '../errors.js';
import type { LedgerLock, LockOwner } from '../ports.js';

/** Where target locks are taken: a lock per target, with the ledger lock's semantics (stale locks taken over). */
export interface TargetLocks {
  lock(owner: LockOwner): Promise<LedgerLock>;
}

/**
 * A file or key name for a target's lock: its host (readable, for an operator who finds it) and a
 * digest of its whole base URL (two instances on one host differ by port or path).
 */
export function targetLockName(baseUrl: string): string {
  const url = new URL(baseUrl);
  const normalized = `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
  const host = url.hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '_')
    .slice(0, 60);
  return `${host}-${createHash('sha256').update(normalized).digest('hex').slice(0, 24)}`;
}

/** Holds the target's lock; another restore holding it is refused, naming it. */
export async function holdTarget(locks: TargetLocks, owner: LockOwner, target: string): Promise<LedgerLock> {
  try {
    return await locks.lock(owner);
  } catch (error) {
    if (error instanceof LedgerLockedError) throw targetInUse(target, error);
    throw error;
  }
}

function targetInUse(target: string, held: LedgerLockedError): LedgerLockedError {
  return new LedgerLockedError(
    `another restore into ${target} is running (${held.holder}): two restores into one target at once would each create what the other creates, so this one wrote nothing. Wait for it to end and run this again (${held.message})`,
    { holder: held.holder },
    { cause: held },
  );
}
