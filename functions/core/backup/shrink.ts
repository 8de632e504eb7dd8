/**
 * Did a backup come out smaller than the one before it? A backup can succeed and still hold less:
 * the API key lost a scope or the licence expired (a resource is now skipped), or workflows, rows or
 * any other kind vanished from the instance. Nothing fails then, so the backup judges itself against
 * the previous archive's manifest, count by count, and says so (the `BackupShrank` metric and its
 * alarm on AWS, and one `Shrank_<kind>` metric per kind).
 */
import { openArchiveAt } from '../archive/access.js';
import type { Manifest } from '../archive/format.js';
import { EVERY_KIND } from '../kinds/index.js';
import type { ArchiveStore, Logger, OpenArchiveReader } from '../ports.js';

/** A kind's count may fall by at most this share of the previous archive's before a backup counts as shrunk. */
export const DEFAULT_SHRINK_SHARE = 0.2;

export type ManifestSummary = Pick<Manifest, 'counts' | 'skipped' | 'excluded'>;

export interface ShrinkVerdict {
  /** False too when there is no previous archive to compare with (`compared` says which). */
  shrank: boolean;
  compared: boolean;
  /** Resources this backup skipped that the previous one did not, with this backup's reason. */
  newlySkipped: { resource: string; reason: string }[];
  workflows: { before: number; after: number };
  /** Every count of the manifest (workflows, data-table rows, tags, …) that fell by more than the share. */
  fell: { kind: string; before: number; after: number }[];
  /** Each reason in words, for the log line. */
  reasons: string[];
}

const percent = (share: number): string => `${Math.round(share * 1000) / 10} %`;

/**
 * Compares a backup's manifest with the previous archive's. It shrank when a resource is skipped
 * now that was not skipped before, or when any count of the previous manifest (workflows, rows of
 * the data tables, …) fell by more than `share` (0–1) of itself. Fewer within the share, or more
 * skipped reasons for a resource already skipped, are not shrinking; nor is a kind the operator
 * excluded on purpose (with what it also counts: a table's rows).
 */
export function judgeShrink(
  previous: ManifestSummary | undefined,
  current: ManifestSummary,
  share: number = DEFAULT_SHRINK_SHARE,
): ShrinkVerdict {
  const workflows = { before: previous?.counts.workflows ?? 0, after: current.counts.workflows ?? 0 };
  if (!previous)
    return { shrank: false, compared: false, newlySkipped: [], workflows, fell: [], reasons: [] };
  const skippedBefore = new Set(previous.skipped.map((s) => s.resource));
  const newlySkipped = current.skipped
    .filter((s) => !skippedBefore.has(s.resource))
    .map(({ resource, reason }) => ({ resource, reason }));
  const drop = (before: number, after: number) => (before === 0 ? 0 : (before - after) / before);
  const excluded = excludedCounts(current);
  const fell = Object.entries(previous.counts)
    .filter(([kind]) => !excluded.has(kind))
    .map(([kind, before]) => ({ kind, before, after: current.counts[kind] ?? 0 }))
    .filter(({ before, after }) => drop(before, after) > share);
  const reasons = [
    ...newlySkipped.map((s) => `${s.resource} newly skipped: ${s.reason}`),
    ...fell.map(
      ({ kind, before, after }) =>
        `${kind} fell from ${before} to ${after} (${percent(drop(before, after))}, more than ${percent(share)})`,
    ),
  ];
  return { shrank: reasons.length > 0, compared: true, newlySkipped, workflows, fell, reasons };
}

/** The counts an exclusion leaves out: each excluded resource and what its kind also counts. */
function excludedCounts(manifest: ManifestSummary): Set<string> {
  const resources = (manifest.excluded ?? []).map((e) => e.resource);
  return new Set(
    resources.flatMap((resource) => [
      resource,
      ...(EVERY_KIND.find((kind) => kind.resource === resource)?.alsoCounted ?? []),
    ]),
  );
}

/**
 * The manifest of an instance's newest archive in the store, read before a backup adds a newer
 * one; undefined when there is none. An archive that cannot be read is logged and treated as none:
 * the comparison must never fail the backup (the daily verify reports a damaged archive).
 */
export async function newestManifest(
  store: ArchiveStore,
  instance: string,
  openReader: OpenArchiveReader,
  logger: Logger,
  /** Only archives started before this (a sliced backup's own is in the store when it judges itself). */
  before?: Date,
): Promise<Manifest | undefined> {
  let location: string | undefined;
  try {
    for await (const newest of store.list({ instance })) {
      if (before && newest.createdAt >= before) continue;
      location = newest.location;
      const archive = await openArchiveAt(store, newest.location, openReader);
      try {
        return archive.manifest;
      } finally {
        await archive.close();
      }
    }
    return undefined;
  } catch (error) {
    logger.warn('could not read the previous archive to compare this backup with', {
      instance,
      archive: location ?? '(listing failed)',
      error: (error as Error).message,
    });
    return undefined;
  }
}
