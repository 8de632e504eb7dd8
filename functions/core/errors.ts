/**
 * One family of errors. Each carries its context as fields and a message that says what to do.
 * No message ever contains an API key or a credential secret.
 */

export class ArkError extends Error {
  /** Process exit code the CLI uses for this kind of failure (see README "Exit codes"). */
  readonly exitCode: number = 1;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from a person or an event: a flag, a config file, a Lambda event. Exit 2. */
export class UsageError extends ArkError {
  override readonly exitCode = 2;
}

/**
 * A restore or migrate option that cannot be used, named by its option key (`onConflict`,
 * `projectMap`, …), never by a CLI flag: the Lambda path has none. The CLI words it with its flag
 * (`--on-conflict`), a handler with the event's field.
 */
export class InvalidOptionError extends UsageError {
  readonly option: string;
  /** What is wrong, without the option's name, e.g. `must be one of skip, overwrite, rename, not "x"`. */
  readonly problem: string;

  constructor(option: string, problem: string, options?: ErrorOptions) {
    super(`${option}: ${problem}`, options);
    this.option = option;
    this.problem = problem;
  }
}

/** n8n answered with an error status. */
export class N8nApiError extends ArkError {
  override readonly exitCode = 3;
  readonly status: number;
  readonly method: string;
  readonly path: string;

  constructor(
    message: string,
    context: { status: number; method: string; path: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = context.status;
    this.method = context.method;
    this.path = context.path;
  }
}

/** 401: the key was rejected. */
export class AuthenticationError extends N8nApiError {}

/** 403 Forbidden on a route the key lacks the scope for. */
export class MissingScopeError extends N8nApiError {
  readonly scope: string | undefined;

  constructor(
    message: string,
    context: { status: number; method: string; path: string; scope: string | undefined },
    options?: ErrorOptions,
  ) {
    super(message, context, options);
    this.scope = context.scope;
  }
}

/** 403 "Your license does not allow for feat:…": the instance is not licensed for a feature. */
export class FeatureNotLicensedError extends N8nApiError {
  readonly feature: string;

  constructor(
    message: string,
    context: { status: number; method: string; path: string; feature: string },
    options?: ErrorOptions,
  ) {
    super(message, context, options);
    this.feature = context.feature;
  }
}

/** 404 */
export class NotFoundError extends N8nApiError {}

/** 409: a duplicate name or id. */
export class ConflictError extends N8nApiError {}

/**
 * A write whose outcome is unknown: it was sent, but no answer came (the connection reset after
 * sending, a timeout, a 5xx from a proxy that may have passed it on). The object may or may not
 * exist now: the restore looks it up by its natural key before writing it again.
 */
export class AmbiguousWriteError extends ArkError {
  override readonly exitCode = 3;
  readonly method: string;
  readonly path: string;

  constructor(message: string, context: { method: string; path: string }, options?: ErrorOptions) {
    super(message, options);
    this.method = context.method;
    this.path = context.path;
  }
}

/** Another restore holds the ledger: this one writes nothing. */
export class LedgerLockedError extends ArkError {
  override readonly exitCode = 6;
  readonly holder: string;

  constructor(message: string, context: { holder: string }, options?: ErrorOptions) {
    super(message, options);
    this.holder = context.holder;
  }
}

/** The URL did not answer, or answered with something that is not n8n's Public API. */
export class ConnectionError extends ArkError {
  override readonly exitCode = 3;
  readonly url: string;

  constructor(message: string, context: { url: string }, options?: ErrorOptions) {
    super(message, options);
    this.url = context.url;
  }
}

/** n8n's pagination misbehaved (a repeated cursor, a page that never ends). */
export class PaginationError extends ArkError {
  override readonly exitCode = 3;
  readonly path: string;

  constructor(message: string, context: { path: string }, options?: ErrorOptions) {
    super(message, options);
    this.path = context.path;
  }
}

/** An archive entry is missing, truncated, or its checksum does not match the manifest. Exit 4. */
export class ArchiveIntegrityError extends ArkError {
  override readonly exitCode = 4;
  readonly entry: string;

  constructor(message: string, context: { entry: string }, options?: ErrorOptions) {
    super(message, options);
    this.entry = context.entry;
  }
}

/**
 * An encrypted archive this run cannot open: no key was given (`missing`), or none of those given
 * opens it (`wrong`). Nothing was read past the encryption's header, so nothing was written. Exit 2.
 * The message says how the archive is encrypted (recipient types, a passphrase), never a key.
 */
export class ArchiveKeyError extends UsageError {
  readonly reason: 'missing' | 'wrong';
  /**
   * Without a key, what could still be checked: `intact` when the encryption's header parses and the
   * length is one the format can have, else the problem. (A prune, which needs no key, relies on it.)
   */
  readonly structure: 'intact' | { problem: string };

  constructor(
    message: string,
    context: { reason: 'missing' | 'wrong'; structure: 'intact' | { problem: string } },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.reason = context.reason;
    this.structure = context.structure;
  }
}

/** The archive is well formed but of a format version this build cannot read. Exit 4. */
export class UnsupportedArchiveFormatError extends ArkError {
  override readonly exitCode = 4;
  readonly formatVersion: unknown;

  constructor(message: string, context: { formatVersion: unknown }, options?: ErrorOptions) {
    super(message, options);
    this.formatVersion = context.formatVersion;
  }
}

/** The archive store could not write, list or read an archive. Exit 5. */
export class StoreError extends ArkError {
  override readonly exitCode = 5;
  readonly location: string;

  constructor(message: string, context: { location: string }, options?: ErrorOptions) {
    super(message, options);
    this.location = context.location;
  }
}

/**
 * No archive where one was named: a path, key or version that does not exist, or `newest` in a store
 * with none of the instance. The same exit code wherever an archive is read (5, as a store failure).
 */
export class ArchiveNotFoundError extends StoreError {}

/** A secret could not be read (missing, not JSON, wrong shape). The message never contains its value. */
export class SecretError extends ArkError {
  override readonly exitCode = 2;
  readonly secretName: string;

  constructor(message: string, context: { secretName: string }, options?: ErrorOptions) {
    super(message, options);
    this.secretName = context.secretName;
  }
}

/** A restore step could not be carried out; the ledger keeps what was done so a re-run resumes. */
export class RestoreError extends ArkError {
  override readonly exitCode = 6;
}

/**
 * A cutover step could not be carried out (exit 6); its journal keeps what was done, so the same
 * command continues and `--rollback` puts the source back. `step` names where it stopped.
 */
export class CutoverError extends ArkError {
  override readonly exitCode = 6;
  readonly step: string;

  constructor(message: string, context: { step: string }, options?: ErrorOptions) {
    super(message, options);
    this.step = context.step;
  }
}

/** A cutover its preflight refuses (an older target, a webhook taken, a missing scope): nothing written. Exit 2. */
export class CutoverRefusedError extends UsageError {}

/** A drill that would prove nothing or harm an instance (not a marked drill target, not empty): nothing written. Exit 2. */
export class DrillRefusedError extends UsageError {}

/**
 * A drill that ran and failed: exit 6 when the restore is incomplete, 1 when the scratch instance
 * differs from the archive. The report is written either way; `report` says where.
 */
export class DrillFailedError extends ArkError {
  override readonly exitCode: number;
  readonly report: readonly string[];

  constructor(message: string, context: { incomplete: boolean; report: readonly string[] }) {
    super(message);
    this.exitCode = context.incomplete ? 6 : 1;
    this.report = context.report;
  }
}

/**
 * A backup that cannot be confirmed complete: an object that existed for the whole backup is not in
 * the archive, or the counts disagree with the records written. Nothing was published. Exit 6.
 */
export class BackupIncompleteError extends ArkError {
  override readonly exitCode = 6;
  /** What is missing or does not add up, one line each (`workflows "Orders" (id w1)`). */
  readonly problems: readonly string[];

  constructor(message: string, context: { problems: readonly string[] }, options?: ErrorOptions) {
    super(message, options);
    this.problems = context.problems;
  }
}

/** The backup's deadline came before it was done: it stopped, and nothing was published. Exit 6. */
export class BackupDeadlineError extends ArkError {
  override readonly exitCode = 6;
  /** The deadline, epoch ms. */
  readonly deadline: number;

  constructor(message: string, context: { deadline: number }, options?: ErrorOptions) {
    super(message, options);
    this.deadline = context.deadline;
  }
}

/**
 * A wait to ask n8n again would end past the run's deadline (`--timeout`, a Lambda slice's end):
 * the call fails at once instead of waiting. A backup publishes nothing; a restore stops where it
 * is, its ledger saved, as at any deadline. Exit 6.
 */
export class RetryPastDeadlineError extends ArkError {
  override readonly exitCode = 6;
  /** The deadline, epoch ms. */
  readonly deadline: number;
  readonly method: string;
  readonly path: string;

  constructor(
    message: string,
    context: { deadline: number; method: string; path: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.deadline = context.deadline;
    this.method = context.method;
    this.path = context.path;
  }
}

/**
 * A sliced run (a state machine's backup, restore or drill) whose slices stopped moving: two slices
 * in a row, ended or died, saved no progress. It fails the run instead of slicing until the
 * execution's 24 hours are up. Only the state machines meet it (the CLI runs in one go).
 */
export class SlicesStalledError extends ArkError {
  override readonly exitCode = 6;
  /** The slices the run had had. */
  readonly slices: number;

  constructor(message: string, context: { slices: number }, options?: ErrorOptions) {
    super(message, options);
    this.slices = context.slices;
  }
}

/** `what` (`the backup of prod`) saved nothing in `stalled` slices in a row, of `slices` in all. */
export function slicesStalled(what: string, stalled: number, slices: number): SlicesStalledError {
  return new SlicesStalledError(
    `${what} made no progress in ${stalled} slices in a row (${slices} slices in all): each ended or died before it saved anything new. The slices' logs say why (a time budget shorter than one step needs, a crash at the same place each time).`,
    { slices },
  );
}

export function isArkError(error: unknown): error is ArkError {
  return error instanceof ArkError;
}
