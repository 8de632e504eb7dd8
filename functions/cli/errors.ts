/**
 * The CLI's own refusals and failures, each worded once: what went wrong with which flag or
 * argument, and what to do. The core's errors carry their own messages; these are the edge's.
 */
import {
  ArchiveIntegrityError,
  ArkError,
  BackupDeadlineError,
  DrillFailedError,
  RestoreError,
  StoreError,
  UsageError,
} from '../core/errors.js';

export const outOfRange = (flag: string, what: string, value: string) =>
  new UsageError(`${flag} must be ${what}, not ${value}`);

export const badUrl = {
  missing: (flag: string) =>
    new UsageError(`${flag} is required: the base URL of the n8n instance, e.g. https://n8n.example.com`),
  notAUrl: (flag: string, value: string) =>
    new UsageError(
      `${flag} ${JSON.stringify(value)} is not a URL. Give the instance's base URL, e.g. https://n8n.example.com`,
    ),
  notHttp: (flag: string, protocol: string) =>
    new UsageError(`${flag} must be an http:// or https:// URL, not ${protocol}`),
  withCredentials: (flag: string) =>
    new UsageError(
      `${flag} must not contain credentials; pass the API key with --api-key-env or --api-key-file.`,
    ),
};

/** An http:// URL to another machine: the API key would cross the network in clear. */
export const keyInClear = {
  refused: (flag: string, url: string) =>
    new UsageError(
      `${flag} ${url} is plain http to another machine, which would send the API key in clear; use https (or drop --require-https)`,
    ),
  warning: (flag: string, url: string) =>
    `${flag} ${url} is plain http to another machine: the API key crosses the network in clear (use https; --require-https refuses such a URL)`,
};

export const badApiKey = {
  readableByOthers: (path: string, mode: number) =>
    `the API key file ${path} can be read by other users (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); chmod 600 it`,
  both: (flags: { env: string; file: string }) =>
    new UsageError(`Give either ${flags.env} or ${flags.file}, not both.`),
  unreadableFile: (path: string, error: unknown) =>
    new UsageError(`Cannot read the API key file ${path}: ${(error as Error).message}`, { cause: error }),
  emptyFile: (path: string) => new UsageError(`The API key file ${path} is empty.`),
  emptyVariable: (variable: string, flag: string) =>
    new UsageError(
      `The environment variable ${variable} (from ${flag}) is not set or empty. Export the n8n API key in it.`,
    ),
  none: (flags: { env: string; file: string }, defaultVariable: string) =>
    new UsageError(
      `No API key: pass ${flags.env} <VAR> naming an environment variable that holds the key, or ${flags.file} <path> (or set ${defaultVariable}). Create a key in n8n under Settings → n8n API.`,
    ),
};

/** The keys of encrypted archives (archive-keys.ts): never quoted, only where they came from. */
export const badArchiveKey = {
  unreadableFile: (flag: string, path: string, error: unknown) =>
    new UsageError(`${flag} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: error,
    }),
  emptyVariable: (variable: string) =>
    new UsageError(
      `The environment variable ${variable} (from --passphrase-env) is not set or empty. Export the passphrase in it.`,
    ),
  twoPassphrases: () => new UsageError('Give either --passphrase-env or --passphrase-file, not both.'),
  recipientsWithoutEncrypt: () =>
    new UsageError('--recipient and --recipients-file say whom to encrypt to: add --encrypt.'),
  encryptWithoutKey: () =>
    new UsageError(
      '--encrypt needs a key: --recipient <age1…> or --recipients-file <path> (public keys), --identity-file <path>, or a passphrase (--passphrase-env <VAR> / --passphrase-file <path>).',
    ),
  migrateCannotReadBack: () =>
    new UsageError(
      'migrate restores from the archive it writes: with --encrypt give the key that opens it too (--identity-file <path>, or --passphrase-env <VAR> / --passphrase-file <path>).',
    ),
  passphraseAndRecipients: () =>
    new UsageError(
      'An age archive is encrypted either with a passphrase or to recipients, not both: drop the passphrase, or --recipient/--recipients-file/--identity-file.',
    ),
};

export const badS3Endpoint = (value: string) =>
  new UsageError(
    `--s3-endpoint ${JSON.stringify(value)} is not an http:// or https:// URL, e.g. https://<account>.r2.cloudflarestorage.com`,
  );

/** The core's deadline, worded with the flag that set it. */
export const backupStoppedAtTimeout = (error: BackupDeadlineError, timeout: string | undefined) =>
  new BackupDeadlineError(
    `the backup stopped at its --timeout ${timeout} minute(s) before it was done; no archive was published (the partial one was removed): run it again, with a longer --timeout if it needs one`,
    { deadline: error.deadline },
    { cause: error },
  );

export const restoreStoppedAtTimeout = (timeout: string | undefined) =>
  new RestoreError(
    `the restore stopped at its --timeout ${timeout} minute(s) before it was done; the ledger keeps what was done: run the same command again to continue`,
  );

export const credentialAwaitingSecret = (c: { name: string; type: string; id: string }) =>
  `credential "${c.name}" (${c.type}, id ${c.id}) was created as a stub; fill in its secret in n8n, or run this restore again with --credential-secrets holding it`;

export const continueMigration = (archiveLocation: string, targetUrl: string) =>
  `the migration stopped; continue it with: n8n-ark restore ${archiveLocation} --url ${targetUrl} --api-key-env <VAR>`;

/** What verification found wrong with one entry. */
type Problem = { entry: string; problem: string };

/** An archive that failed verification, as each command says it; the first problem names the entry. */
export const failedVerification = {
  verify: (location: string, problems: readonly Problem[]) =>
    integrity(
      `${location} failed verification: ${problems.length} problem(s)${problems[0] ? `, first in ${problems[0].entry}` : ''}`,
      problems,
    ),
  diff: (spec: string, problems: readonly Problem[]) =>
    integrity(
      `${spec} failed verification${problems[0] ? ` (${problems[0].entry}: ${problems[0].problem})` : ''}; run \`n8n-ark verify ${spec}\` for every problem`,
      problems,
    ),
  extract: (location: string, problems: readonly Problem[]) =>
    integrity(
      `${location} failed verification, nothing was extracted: ${problems[0] ? `${problems[0].entry}: ${problems[0].problem}` : 'unknown problem'}`,
      problems,
    ),
};

const integrity = (message: string, problems: readonly Problem[]) =>
  new ArchiveIntegrityError(message, { entry: problems[0]?.entry ?? '(archive)' });

export const diffSides = {
  missing: () =>
    new UsageError('diff needs two sides: two arguments, or one argument and --url <live instance>'),
  tooMany: () => new UsageError('diff takes two sides: give --url only when one side is an argument'),
};

/** Exit 1 with the differences listed: the CLI's "differences found". */
export class DifferencesFound extends ArkError {}

export const noArchive = (flag: string, where: string, instance: string | undefined) =>
  new UsageError(`${flag}: no archive in ${where}${instance ? ` for instance ${instance}` : ''}`);

export const cannotKeepReport = (store: string) =>
  new StoreError(`${store} cannot keep a drill report`, { location: store });

export const drillFailed = (
  reasons: readonly string[],
  files: { html: string; json: string },
  incomplete: boolean,
) =>
  new DrillFailedError(`the drill failed: ${reasons.join('; ')}. Report: ${files.html}`, {
    incomplete,
    report: [files.html, files.json],
  });

export const outIsNotAFolder = (dir: string) =>
  new UsageError(
    `--out ${JSON.stringify(dir)} is a file, or inside one, not a folder; nothing was written (give a folder)`,
  );

export const cannotWriteOut = (path: string, error: unknown) =>
  new UsageError(
    `cannot write ${JSON.stringify(path)}: ${(error as Error).message}; nothing was written (choose another --out)`,
    { cause: error },
  );

export const filesExist = (paths: readonly string[]) =>
  new UsageError(
    `${paths.join(', ')} already exist${paths.length === 1 ? 's' : ''}; nothing was written (choose another --out, or move them away)`,
  );

export const inspectUsage = {
  filterWithoutListing: () =>
    new UsageError('--workflow, --tag and --project go with --contents, --workflows or --versions'),
  versionsWithoutWorkflow: () => new UsageError('--versions needs --workflow <name-or-id>'),
  noHistory: () =>
    new UsageError(
      'this archive holds no saved versions (backed up before history was kept, or with --history 0)',
    ),
};

export const extractUsage = {
  nothingChosen: () => new UsageError('extract needs --workflow <name|id|glob> or --data-table <name|id>'),
  versionWithoutWorkflow: () => new UsageError('--version needs --workflow <name|id>'),
  badFormat: (format: string | undefined) =>
    new UsageError(`--format ${JSON.stringify(format)}: use csv or json`),
};
