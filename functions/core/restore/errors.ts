/**
 * The restore's refusals and failures, each saying whether anything was written and what to do
 * next (never a secret in a message).
 */
import { ArchiveIntegrityError, InvalidOptionError, RestoreError, UsageError } from '../errors.js';

export function restoreStopped(why: string, ledger: string, cause: unknown): RestoreError {
  return new RestoreError(
    `The restore stopped: ${why}. What was done is in the ledger ${ledger}; run the same command again to continue.`,
    { cause },
  );
}

export function ledgerNotJson(ledger: string, cause: unknown): RestoreError {
  return new RestoreError(
    `The restore ledger ${ledger} is not valid JSON; move it away to start the restore afresh.`,
    { cause },
  );
}

export function notALedger(ledger: string, version: number): RestoreError {
  return new RestoreError(
    `${ledger} is not an n8n-ark restore ledger (version ${version}); move it away or keep this restore's ledger elsewhere.`,
  );
}

export function ledgerOfAnotherArchive(ledger: string, its: string, archive: string): RestoreError {
  return new RestoreError(
    `The restore ledger ${ledger} belongs to another archive (manifest digest ${its.slice(0, 12)}…, this archive's is ${archive.slice(0, 12)}…). Keep this restore's ledger elsewhere, or move that one away to restore this archive afresh.`,
  );
}

export function ledgerOfAnotherTarget(ledger: string, its: string, target: string): RestoreError {
  return new RestoreError(
    `The restore ledger ${ledger} records a restore into ${its}, not ${target}. Keep the ledger of a restore into this target elsewhere.`,
  );
}

export function unfinishedWithOtherOptions(
  ledger: string,
  stoppedHow: string,
  options: { was: string; now: string },
): RestoreError {
  return new RestoreError(
    `The restore in ${ledger} is not finished (${stoppedHow}) and was started with other options (${options.was}; now ${options.now}). Nothing was written. Run it to its end with the options it was started with, then run again with the new ones; or keep this restore's ledger elsewhere to plan afresh against the target.`,
  );
}

export function archiveFailedVerification(
  problems: readonly { entry: string; problem: string }[],
): ArchiveIntegrityError {
  const first = problems[0];
  return new ArchiveIntegrityError(
    `The archive failed verification (${problems.length} problem(s)${first ? `; first: ${first.entry}: ${first.problem}` : ''}). Nothing was written to the target. Restore from another archive.`,
    { entry: first?.entry ?? '(archive)' },
  );
}

export function migrateIntoItself(url: string): UsageError {
  return new UsageError(
    `The source and the target are the same instance (${url}); to restore an instance into itself use \`n8n-ark restore\` with an archive.`,
  );
}

export function noSuchProject(project: string, projects: readonly { name: string }[]): InvalidOptionError {
  return new InvalidOptionError(
    'project',
    `${JSON.stringify(project)}: the archive has no such project (it has ${
      projects.map((p) => JSON.stringify(p.name)).join(', ') || 'none'
    })`,
  );
}

/**
 * A --tag or --workflow (with or without --project) that chooses no workflow: refused (exit 2,
 * nothing written), naming the nearest names the archive has.
 */
export function chosesNothing(
  option: 'tag' | 'workflow',
  value: string,
  nearest: readonly string[],
  within?: string,
): InvalidOptionError {
  const what = option === 'tag' ? 'carries no workflow of the archive' : 'matches no workflow of the archive';
  return new InvalidOptionError(
    option,
    `${JSON.stringify(value)} ${what}${within ? ` in project ${JSON.stringify(within)}` : ''}: nothing would be restored. ${
      nearest.length > 0
        ? `The nearest ${option === 'tag' ? 'tags' : 'workflow names'}: ${nearest.map((n) => JSON.stringify(n)).join(', ')}`
        : `The archive has no ${option === 'tag' ? 'tags on its workflows' : 'workflows'}`
    }`,
  );
}

/** A --project whose project holds nothing in the archive. */
export function projectHoldsNothing(project: string): InvalidOptionError {
  return new InvalidOptionError(
    'project',
    `${JSON.stringify(project)} holds nothing in the archive (no workflow, credential, data table, variable or folder): nothing would be restored`,
  );
}

export function versionsUnknown(why: readonly string[]): InvalidOptionError {
  return new InvalidOptionError(
    'requireSameMinor',
    `cannot be checked: ${why.join('; ')}. Nothing was written. Restore without requiring the same major.minor, or make the versions learnable (n8n 2.24+, a key with workflow:export, at least one workflow on the instance).`,
  );
}

export function versionsDiffer(
  source: string,
  target: string,
  from: { major: number; minor: number },
): InvalidOptionError {
  return new InvalidOptionError(
    'requireSameMinor',
    `the archive comes from n8n ${source} and the target runs n8n ${target}, another major.minor. Nothing was written. Restore into an n8n ${from.major}.${from.minor}.x, or leave the requirement out.`,
  );
}
