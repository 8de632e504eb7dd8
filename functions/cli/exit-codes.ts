/**
 * The exit codes, one table: `n8n-ark --help` prints it, the README and docs/OPERATIONS.md show it
 * (test/unit/exit-codes.test.ts compares both with this and checks every error class exits with the
 * code its row names).
 */
import {
  AmbiguousWriteError,
  ArchiveIntegrityError,
  ArchiveKeyError,
  ArchiveNotFoundError,
  ArkError,
  AuthenticationError,
  BackupDeadlineError,
  BackupIncompleteError,
  ConflictError,
  ConnectionError,
  CutoverError,
  CutoverRefusedError,
  DrillFailedError,
  DrillRefusedError,
  FeatureNotLicensedError,
  InvalidOptionError,
  LedgerLockedError,
  MissingScopeError,
  N8nApiError,
  NotFoundError,
  PaginationError,
  RestoreError,
  RetryPastDeadlineError,
  SecretError,
  SlicesStalledError,
  StoreError,
  UnsupportedArchiveFormatError,
  UsageError,
} from '../core/errors.js';
import { DifferencesFound } from './errors.js';

export interface ExitCode {
  code: number;
  meaning: string;
  /** The error classes that end a run with this code. */
  errors: readonly (abstract new (
    ...args: never[]
  ) => ArkError)[];
}

export const EXIT_CODES: readonly ExitCode[] = [
  {
    code: 0,
    meaning: 'done: the command did all it promises (README, "What exit 0 means")',
    errors: [],
  },
  {
    code: 1,
    meaning:
      'differences found (diff; a drill whose scratch instance differs from the archive), or an unexpected failure',
    errors: [DifferencesFound, ArkError, DrillFailedError],
  },
  {
    code: 2,
    meaning:
      'bad usage, nothing done: a flag, a file, an event field, a missing API key or secret, a missing or wrong key for an encrypted archive, a drill target that is not one, a cutover its preflight refuses',
    errors: [
      UsageError,
      InvalidOptionError,
      SecretError,
      ArchiveKeyError,
      DrillRefusedError,
      CutoverRefusedError,
    ],
  },
  {
    code: 3,
    meaning:
      'n8n refused or could not be reached: wrong key (401), a missing scope for what a command cannot do without (403, named), a URL that is not n8n, an answer over --max-answer-mib, paging that misbehaves',
    errors: [
      N8nApiError,
      AuthenticationError,
      MissingScopeError,
      FeatureNotLicensedError,
      NotFoundError,
      ConflictError,
      AmbiguousWriteError,
      ConnectionError,
      PaginationError,
    ],
  },
  {
    code: 4,
    meaning: 'the archive is corrupt, truncated or of an unknown format (nothing written)',
    errors: [ArchiveIntegrityError, UnsupportedArchiveFormatError],
  },
  {
    code: 5,
    meaning:
      'no such archive (a missing path, S3 key or version; no archive of the instance for `newest`), or the archive store failed (folder not writable, S3 error)',
    errors: [StoreError, ArchiveNotFoundError],
  },
  {
    code: 6,
    meaning:
      'incomplete, what is missing named: a restore, migrate, drill or cutover that did not land or does not run as on the source; a backup lacking a kind; --timeout; a ledger or target in use. Run it again',
    errors: [
      RestoreError,
      LedgerLockedError,
      BackupIncompleteError,
      BackupDeadlineError,
      RetryPastDeadlineError,
      DrillFailedError,
      CutoverError,
      SlicesStalledError,
    ],
  },
];

/** The table as `--help` prints it, each meaning wrapped under itself. */
export function exitCodesHelp(width = 100): string {
  const lines = ['', 'Exit codes:'];
  for (const { code, meaning } of EXIT_CODES) {
    let line = `  ${code}  `;
    for (const word of meaning.split(' ')) {
      if (line.length + word.length > width && line.trim().length > 1) {
        lines.push(line.trimEnd());
        line = '     ';
      }
      line += `${word} `;
    }
    lines.push(line.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/** The table as the README and docs/OPERATIONS.md show it. */
export function exitCodesMarkdown(): string {
  return [
    '| code | meaning |',
    '| ---- | ------- |',
    ...EXIT_CODES.map(({ code, meaning }) => `| ${code} | ${meaning.replaceAll('|', '\\|')} |`),
  ].join('\n');
}
