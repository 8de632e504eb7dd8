/**
 * The ports the core speaks to. Adapters (functions/adapters) implement them; tests hand in small
 * in-memory fakes. Nothing here knows about HTTP, zip libraries, AWS or the environment. n8n's
 * Public API is a port per area, in n8n-ports.ts.
 */
import type { Readable } from 'node:stream';

export type * from './n8n-ports.js';

/** Writes a file beside an archive in its store (a drill's report), never over the archive itself. */
export interface ArchiveAnnexStore {
  /**
   * Stores `body` at the archive's location with its `.zip` replaced by `suffix` (e.g.
   * `.drill-2026-11-29T20-00-00-000Z.html`), and answers where: a path or an s3:// URL.
   */
  writeBeside(archiveLocation: string, suffix: string, body: string, contentType: string): Promise<string>;
}

/** Where an archive lives. `location` is printable and parseable back (a path or s3://bucket/key?versionId=). */
export interface ArchiveRef {
  location: string;
  instance: string;
  createdAt: Date;
  size: number;
  versionId?: string;
  /** Encrypted (`….zip.age`): its name and size are all a store shows of it. */
  encrypted?: boolean;
}

/** How an archive is stored. */
export interface PutOptions {
  /** The body is an encrypted archive: it is named `….zip.age` and typed as opaque bytes. */
  encrypted?: boolean;
}

/** Byte-range access to a stored archive: zip readers need the central directory at the end. */
export interface ArchiveBlob {
  readonly size: number;
  /** A stream of bytes [start, end) of the archive. */
  readRange(start: number, end: number): Readable;
  close(): Promise<void>;
}

export interface ArchiveStore {
  /** Human-readable description for messages, e.g. "folder ./n8n-ark-backups" or "s3://bucket/prefix". */
  readonly description: string;
  /**
   * Streams `body` into a new archive for `instance` named after `createdAt`. Nothing becomes
   * visible under the final name until the body has ended without error; a failed write leaves
   * nothing behind (temporary files removed, multipart uploads aborted).
   */
  put(
    instance: string,
    createdAt: Date,
    body: Readable,
    metadata: Record<string, string>,
    options?: PutOptions,
  ): Promise<ArchiveRef>;
  /** Archives, newest first. */
  list(options?: { instance?: string; includeVersions?: boolean }): AsyncIterable<ArchiveRef>;
  /** Opens an archive by its `location` (as printed by put/list). */
  open(location: string): Promise<ArchiveBlob>;
}

/** A restore ledger kept beside an archive, as a prune sees it. */
export interface StoredLedger {
  /** Printable: a path or s3://bucket/key. */
  location: string;
  /** The `location` of the archive it belongs to (as `list` prints it). */
  archive: string;
  /** Whether a restore holds its lock (`<ledger>.lock` exists) at the listing. */
  locked: boolean;
  /** Its text, or undefined when there is none (a lock whose restore has not saved yet). */
  read(): Promise<string | undefined>;
}

/** S3 Object Lock on one archive version. */
export interface ObjectLockHold {
  /** Retention: the version cannot be deleted before this moment. */
  retainUntil?: Date;
  mode?: string;
  legalHold: boolean;
}

/**
 * What a prune needs of a store besides listing and opening archives. It only ever removes
 * archives: ledgers and anything else beside them are never touched.
 */
export interface PrunableStore extends ArchiveStore {
  /** The restore ledgers kept beside the instance's archives (restores from them wrote them). */
  restoreLedgers(instance: string): Promise<StoredLedger[]>;
  /** The Object Lock on the archive, or undefined where the store has none. */
  objectLock(archive: ArchiveRef): Promise<ObjectLockHold | undefined>;
  /** Removes the archive from the store's listing (on a versioned bucket: a delete marker). */
  remove(archive: ArchiveRef): Promise<void>;
}

/** Writes named entries into one archive stream (zip). Entries are written one at a time, in order. */
export interface ArchiveWriter {
  /** The archive's bytes, to hand to ArchiveStore.put. */
  readonly output: Readable;
  /** `output` is encrypted (a wrapper sealed it): the store names it `….zip.age`. */
  readonly encrypted?: boolean;
  /** Adds an entry; resolves once the entry's bytes have been fully consumed into the archive. */
  addEntry(name: string, content: Readable): Promise<void>;
  /** Writes the central directory and ends `output`. */
  finish(): Promise<void>;
  /** Ends `output` with an error so the store aborts the upload. */
  abort(error: Error): void;
}

/**
 * An archive writer a sliced backup stops between two records and another process takes up again
 * (`createWriter(state)` in the backup's deps): an entry is added in parts, each ended with
 * `endPart()` but the last, and `checkpoint()` says where the archive stands once every part added
 * so far is in `output`.
 */
export interface PausableArchiveWriter extends ArchiveWriter {
  /**
   * The content being added ends a part of its entry, not the entry: call it before ending that
   * content. The entry stays open; the next `addEntry` of its name continues it.
   */
  endPart(): void;
  /** Once everything added is in `output`: the writer's state (JSON) and the bytes `output` carried in all. */
  checkpoint(): Promise<{ state: unknown; bytes: number }>;
}

/**
 * A store that keeps an archive's upload between processes (an S3 multipart upload): a sliced
 * backup writes the archive over several invocations, each continuing the upload from the state
 * the one before saved. Nothing is visible under the archive's name until `complete`.
 */
export interface ResumableArchiveStore extends ArchiveStore {
  /** Opens the upload of a new archive; its state (JSON) is what `continueUpload` takes. */
  startUpload(instance: string, createdAt: Date, metadata: Record<string, string>): Promise<unknown>;
  /** Takes `body` (a writer's output, from the byte the state ends at) into the upload. */
  continueUpload(state: unknown, body: Readable): ArchiveUpload;
  /** Removes what an upload that will not be completed has stored (its parts, its saved tail). */
  abortUpload(state: unknown): Promise<void>;
}

export interface ArchiveUpload {
  /** Once the body's first `bytes` bytes (counted from the archive's start) are stored: the state to continue from. */
  checkpoint(bytes: number): Promise<unknown>;
  /** Once the body has ended: the archive, published under its name. */
  complete(): Promise<ArchiveRef>;
  /** Stops taking the body (the state of the last checkpoint stays good). */
  stop(): Promise<void>;
}

export interface ArchiveEntryInfo {
  name: string;
  /** Uncompressed size from the zip directory. */
  size: number;
}

/** Reads entries of one archive. Integrity problems of the container (bad CRC, truncation) throw ArchiveIntegrityError. */
export interface ArchiveReader {
  entries(): ArchiveEntryInfo[];
  openEntry(name: string): Promise<Readable>;
  /**
   * What the container checks beyond its entries' bytes, once they have all been read (an encrypted
   * archive authenticates the parts no entry covered); each problem named by the part.
   */
  checkContainer?(): Promise<{ entry: string; problem: string }[]>;
  close(): Promise<void>;
}

/** Opens an ArchiveReader over a stored archive. */
export type OpenArchiveReader = (blob: ArchiveBlob) => Promise<ArchiveReader>;

/** Secrets by name (AWS Secrets Manager, a file, the environment). Values never reach a log. */
export interface SecretSource {
  /** The secret's string value, or undefined when there is no such secret. */
  get(name: string): Promise<string | undefined>;
}

export interface Clock {
  now(): Date;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Progress of long work, shown on a TTY and silent elsewhere. */
export interface Progress {
  /** Starts (or restarts) a task; `total` when known. */
  start(task: string, total?: number): void;
  advance(task: string, by?: number): void;
  done(task: string, summary?: string): void;
}

/**
 * Persists the state of work that resumes in another run — a restore's ledger (source id → target
 * id and step status), a sliced backup's progress — and locks it to one run at a time.
 */
export interface LedgerStore {
  readonly description: string;
  load(): Promise<string | undefined>;
  save(contents: string): Promise<void>;
  /**
   * Takes the ledger for one restore at a time: resolves with a release once no other restore holds
   * it, or throws LedgerLockedError naming who holds it. A store that cannot lock leaves it out.
   */
  lock?(owner: LockOwner): Promise<LedgerLock>;
}

/** Who holds a ledger: enough for an operator to tell whether that restore is still running. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /**
   * When the holder is certainly gone (ISO time): a Lambda cannot outlive its timeout, so the lock
   * of a slice that crashed is taken over right after, not hours later.
   */
  endsBy?: string;
  /**
   * The state machine execution the holder is a slice of. An execution runs one slice at a time
   * and runs a slice again only once the last one has failed, so a slice of the same execution that
   * finds this lock knows its holder is gone and takes it over at once; a slice of another
   * execution is refused (LedgerLockedError) until the holder is done or gone by `endsBy`.
   */
  execution?: string;
}

export interface LedgerLock {
  release(): Promise<void>;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export const silentProgress: Progress = {
  start() {},
  advance() {},
  done() {},
};

export const systemClock: Clock = { now: () => new Date() };
