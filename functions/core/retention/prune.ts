/**
 * A prune: one instance's archives, the retention policy (policy.ts), and what keeps an archive
 * whatever the policy says — the newest archive that passes verification, a restore that has not
 * finished from it (its ledger beside it), and S3 Object Lock. Only archives are ever removed.
 */

import { verifyArchive } from '../archive/verify.js';
import { mapOrdered, present } from '../async-iterables.js';
import { ArchiveKeyError } from '../errors.js';
import type {
  ArchiveRef,
  Clock,
  ObjectLockHold,
  OpenArchiveReader,
  PrunableStore,
  StoredLedger,
} from '../ports.js';
import type { LedgerState } from '../restore/ledger-state.js';
import { noneVerified, removalFailed } from './errors.js';
import { applyRetention, type RetentionPolicy, type RetentionRule } from './policy.js';

/** Why an archive stays: a retention rule, or what overrides the policy. */
export type KeepReason = RetentionRule | 'newest-verified' | 'restore' | 'object-lock';

export interface PrunedArchive {
  archive: string;
  createdAt: string;
}

export interface KeptArchive extends PrunedArchive {
  keptBy: KeepReason[];
  /** With `object-lock`: what holds it (retention until an ISO time, and/or a legal hold). */
  objectLock?: { retainUntil?: string; mode?: string; legalHold: boolean };
  /** With `restore`: the ledgers of restores from it that have not finished. */
  ledgers?: string[];
}

export interface PruneReport {
  instance: string;
  store: string;
  dryRun: boolean;
  policy: Required<RetentionPolicy>;
  /** The newest archive that passed verification (null when the instance has no archive). */
  newestVerified: string | null;
  /**
   * That archive is encrypted and the prune was given no key (it needs none): what could be checked
   * without one passed — the encryption's header and a length the format can have — not its contents.
   */
  newestVerifiedWithoutKey: boolean;
  /** Archives newer than that one which failed verification, with the first problem. */
  failedVerification: { archive: string; problem: string }[];
  /** Newest first. */
  kept: KeptArchive[];
  /** Newest first; on a dry run, what would be deleted. */
  deleted: PrunedArchive[];
}

export interface PruneDeps {
  store: PrunableStore;
  openReader: OpenArchiveReader;
  clock: Clock;
}

export interface PruneOptions {
  instance: string;
  /** A policy checked by checkRetentionPolicy. */
  policy: Required<RetentionPolicy>;
  dryRun?: boolean;
}

export async function runPrune(deps: PruneDeps, options: PruneOptions): Promise<PruneReport> {
  const { store } = deps;
  const archives: ArchiveRef[] = [];
  for await (const ref of store.list({ instance: options.instance })) archives.push(ref);
  // Listed before anything is decided: a restore that starts from an archive while this prune runs
  // is not seen (docs/OPERATIONS.md).
  const ledgers = await store.restoreLedgers(options.instance);
  const report: PruneReport = {
    instance: options.instance,
    store: store.description,
    dryRun: options.dryRun === true,
    policy: options.policy,
    newestVerified: null,
    newestVerifiedWithoutKey: false,
    failedVerification: [],
    kept: [],
    deleted: [],
  };
  if (archives.length === 0) return report;
  const newestVerified = await findNewestVerified(deps, archives, report);
  const decision = applyRetention(archives, options.policy);
  const kept = new Map<ArchiveRef, KeptArchive>();
  const keep = (archive: ArchiveRef, reason: KeepReason): KeptArchive => {
    const entry = kept.get(archive) ?? { ...describe(archive), keptBy: [] };
    entry.keptBy.push(reason);
    kept.set(archive, entry);
    return entry;
  };
  for (const { archive, rules } of decision.keep) for (const rule of rules) keep(archive, rule);
  keep(newestVerified, 'newest-verified');
  // Holds are looked up a few at a time (one request each on S3); deletes go oldest first, so a
  // prune stopped half way has removed the archives furthest from being needed.
  const candidates = decision.remove.filter((a) => !kept.has(a)).reverse();
  const held = mapOrdered(toAsync(candidates), LOOKUPS_IN_FLIGHT, async (archive) =>
    (await heldByRestore(archive, ledgers, keep)) || (await heldByObjectLock(deps, archive, keep))
      ? undefined
      : archive,
  );
  const removed = mapOrdered(present(held), REMOVALS_IN_FLIGHT, async (archive) => {
    if (!report.dryRun) await removeArchive(store, archive);
    return archive;
  });
  for await (const archive of removed) report.deleted.unshift(describe(archive));
  report.kept = archives.filter((a) => kept.has(a)).map((a) => kept.get(a) as KeptArchive);
  return report;
}

/**
 * Verifies archives newest first until one passes; those that fail are reported. None passing is
 * refused: deleting by a policy when no archive can be restored would leave nothing to fall back on.
 */
async function findNewestVerified(
  deps: PruneDeps,
  archives: readonly ArchiveRef[],
  report: PruneReport,
): Promise<ArchiveRef> {
  for (const archive of archives) {
    const verdict = await verifyOrCheckSealed(deps, archive.location);
    if (verdict.ok) {
      report.newestVerified = archive.location;
      report.newestVerifiedWithoutKey = verdict.withoutKey;
      return archive;
    }
    report.failedVerification.push({ archive: archive.location, problem: verdict.problem });
  }
  throw noneVerified(archives.length, report);
}

/**
 * The archive verified; an encrypted one the prune has no key for (a prune needs none) is judged
 * by what can be checked without it. A key that does not open it still fails the prune (exit 2).
 */
async function verifyOrCheckSealed(
  deps: PruneDeps,
  location: string,
): Promise<{ ok: true; withoutKey: boolean } | { ok: false; problem: string }> {
  try {
    const verdict = await verifyArchive(deps.store, location, deps.openReader);
    if (verdict.ok) return { ok: true, withoutKey: false };
    const first = verdict.problems[0];
    return { ok: false, problem: first ? `${first.entry}: ${first.problem}` : 'failed verification' };
  } catch (error) {
    if (!(error instanceof ArchiveKeyError) || error.reason !== 'missing') throw error;
    return error.structure === 'intact'
      ? { ok: true, withoutKey: true }
      : { ok: false, problem: `(encrypted, no key given) ${error.structure.problem}` };
  }
}

/** A restore from this archive that a re-run would continue: its ledger is locked or not `done`. */
export async function restoreUnfinished(ledger: StoredLedger): Promise<boolean> {
  if (ledger.locked) return true;
  const contents = await ledger.read();
  if (contents === undefined) return false;
  try {
    return (JSON.parse(contents) as Partial<LedgerState>).status !== 'done';
  } catch {
    // A ledger nobody can read may still be one a restore is writing: never judged finished.
    return true;
  }
}

/** Requests in flight: a first prune of a long-kept bucket looks up and deletes hundreds. */
const LOOKUPS_IN_FLIGHT = 8;
const REMOVALS_IN_FLIGHT = 4;

async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

type Keep = (archive: ArchiveRef, reason: KeepReason) => KeptArchive;

async function heldByRestore(
  archive: ArchiveRef,
  ledgers: readonly StoredLedger[],
  keep: Keep,
): Promise<boolean> {
  const unfinished: StoredLedger[] = [];
  for (const ledger of ledgers)
    if (ledger.archive === archive.location && (await restoreUnfinished(ledger))) unfinished.push(ledger);
  if (unfinished.length === 0) return false;
  keep(archive, 'restore').ledgers = unfinished.map((l) => l.location);
  return true;
}

async function heldByObjectLock(deps: PruneDeps, archive: ArchiveRef, keep: Keep): Promise<boolean> {
  const hold = await deps.store.objectLock(archive);
  if (!hold || !isHeld(hold, deps.clock.now())) return false;
  keep(archive, 'object-lock').objectLock = {
    ...(hold.retainUntil ? { retainUntil: hold.retainUntil.toISOString() } : {}),
    ...(hold.mode ? { mode: hold.mode } : {}),
    legalHold: hold.legalHold,
  };
  return true;
}

function isHeld(hold: ObjectLockHold, now: Date): boolean {
  return hold.legalHold || (hold.retainUntil !== undefined && hold.retainUntil > now);
}

async function removeArchive(store: PrunableStore, archive: ArchiveRef): Promise<void> {
  try {
    await store.remove(archive);
  } catch (error) {
    throw removalFailed(archive.location, error);
  }
}

function describe(archive: ArchiveRef): PrunedArchive {
  return { archive: archive.location, createdAt: archive.createdAt.toISOString() };
}
