/**
 * The CLI's composition root: the one place that builds what the commands use — the n8n client,
 * archive stores, zip reader and writer (decrypting and encrypting with the keys the flags give),
 * credential secrets, ledger stores, clock, logger and progress. Commands get it as `cli` and
 * import no adapter themselves.
 */
import { givenKeys } from '../adapters/age/keys.js';
import { openDecrypting } from '../adapters/age/open.js';
import { sealArchiveWriter } from '../adapters/age/sealed-writer.js';
import { FileLedgerStore } from '../adapters/file-ledger-store.js';
import { FileTargetLocks, targetLockFolder } from '../adapters/file-target-locks.js';
import { createN8nClient } from '../adapters/n8n/index.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../adapters/zip-archive-writer.js';
import { openArchiveAt } from '../core/archive/access.js';
import {
  type ArchiveStore,
  type ArchiveWriter,
  type Logger,
  type OpenArchiveReader,
  systemClock,
} from '../core/ports.js';
import { TOOL_VERSION } from '../version.js';
import {
  type ArchiveKeyFlags,
  archiveKeysOf,
  type EncryptFlags,
  KEY_HINT,
  sealingOf,
} from './archive-keys.js';
import type { N8nConnection } from './connection.js';
import { createCliLogger, createProgress, type Output } from './output.js';
import { credentialSecretSource } from './secrets.js';
import { type S3StoreFlags, storeForArchive, storeFromOption } from './stores.js';

export function composeCli(out: Output, env: NodeJS.ProcessEnv) {
  return {
    out,
    env,
    clock: systemClock,
    toolVersion: TOOL_VERSION,
    /**
     * Archives as one command reaches them: its stores (--store, --s3-*), its readers (which open
     * encrypted archives with --identity-file / --passphrase-*) and its writer (sealed with --encrypt).
     * The keys are read and checked here, before the command reads or writes anything.
     */
    archives: (flags: ArchiveAccessFlags) => archiveAccess(flags, env),
    /** Warnings and errors always; info and debug with --verbose. */
    logger: (verbose: boolean | undefined) => createCliLogger(out, verbose === true),
    /** A progress line on a terminal, unless the output is --json. */
    progress: (json: boolean | undefined) => createProgress(out, json !== true),
    /** The n8n client, once what the person should know of the connection is said. */
    n8n: ({ warnings = [], ...connection }: N8nConnection, logger: Logger) => {
      for (const warning of warnings) logger.warn(warning);
      return createN8nClient({ ...connection, logger });
    },
    /** --credential-secrets: a JSON file or sm://<prefix>; nothing when not given. */
    secrets: async (option: string | undefined) => (option ? credentialSecretSource(option) : undefined),
    /** The target's lock, one restore per target on this machine for this user; a dead restore's is taken over and said. */
    targetLocks: (targetUrl: string, logger: Logger) =>
      new FileTargetLocks(targetLockFolder(env), targetUrl, {
        onStaleLock: (holder) =>
          logger.warn('took over the target lock of a restore that is gone', { ...holder }),
      }),
    /** A restore ledger in a local file; with a logger, taking over a dead restore's lock is said. */
    ledgerStore: (path: string, logger?: Logger) =>
      new FileLedgerStore(
        path,
        logger
          ? {
              onStaleLock: (holder) =>
                logger.warn('took over the lock of a restore that is gone', { ...holder }),
            }
          : {},
      ),
  };
}

/** The flags that say how a command reaches archives; each command has those it takes. */
export type ArchiveAccessFlags = S3StoreFlags & ArchiveKeyFlags & EncryptFlags;

async function archiveAccess(flags: ArchiveAccessFlags, env: NodeJS.ProcessEnv) {
  const keys = await archiveKeysOf(flags, env);
  const sealing = await sealingOf(flags, keys);
  const openReader: OpenArchiveReader = openDecrypting(openZipArchive, givenKeys(keys, KEY_HINT));
  const storeFor = (location: string) => storeForArchive(location, env, flags);
  return {
    /** The store --store names (a folder or s3://bucket/prefix). */
    store: (option: string | undefined) => storeFromOption(option, env, flags),
    /** The store that holds the archive at this location (a path or an s3:// URL). */
    storeForArchive: storeFor,
    openReader,
    /** The archive at this location, from `store` or the store that holds it. */
    openArchive: async (location: string, store?: ArchiveStore) =>
      openArchiveAt(store ?? (await storeFor(location)), location, openReader),
    /** A zip writer, sealed with age when --encrypt is given. */
    createWriter: (): ArchiveWriter =>
      sealing ? sealArchiveWriter(createZipArchiveWriter(), sealing) : createZipArchiveWriter(),
  };
}

export type ArchiveAccess = Awaited<ReturnType<typeof archiveAccess>>;

/** What every command's action is given to build its run from. */
export type Cli = ReturnType<typeof composeCli>;
