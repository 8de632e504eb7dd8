/** The prune's refusals and failures, each saying what was (not) deleted and what to do next. */
import { ArchiveIntegrityError, StoreError, UsageError } from '../errors.js';

export function noRetentionRule(flags: readonly string[]): UsageError {
  return new UsageError(
    `give at least one of ${flags.join(', ')} above 0: a retention policy ` +
      'without any rule would delete every archive, so nothing was deleted',
  );
}

export function noneVerified(
  archives: number,
  report: { instance: string; store: string; failedVerification: readonly { problem: string }[] },
): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `none of the ${archives} archive(s) of ${report.instance} in ${report.store} passes ` +
      'verification, so nothing was deleted; run `n8n-ark verify` on the newest to see why',
    { entry: report.failedVerification[0]?.problem ?? '(archive)' },
  );
}

export function removalFailed(location: string, cause: unknown): StoreError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    `could not delete ${location} (older archives may have been deleted before it; run the ` +
      `prune again to continue): ${why}`,
    { location },
    { cause },
  );
}
