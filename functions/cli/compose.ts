/**
 * The CLI's composition root: the one place that builds what the commands use — the n8n client,
 * archive stores, zip reader and writer, credential secrets, ledger stores, clock, logger and
 * progress. Commands get it as `cli` and import no adapter themselves.
 */
import { FileLedgerStore } from '../adapters/file-ledger-store.js';
import { FileTargetLocks, targetLockFolder } from '../adapters/file-target-locks.js';
import { createN8nClient } from '../adapters/n8n/index.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../adapters/zip-archive-writer.js';
import { openArchiveAt } from '../core/archive/access.js';
import { type ArchiveStore, type Logger, systemClock } from '../core/ports.js';
import { TOOL_VERSION } from '../version.js';
import type { N8nConnection } from './connection.js';
import { createCliLogger, createProgress, type Output } from './output.js';
import { credentialSecretSource } from './secrets.js';
import { storeForArchive, storeFromOption } from './stores.js';

export function composeCli(out: Output, env: NodeJS.ProcessEnv) {
  return {
    out,
    env,
    clock: systemClock,
    toolVersion: TOOL_VERSION,
    createWriter: createZipArchiveWriter,
    openReader: openZipArchive,
    /** Warnings and errors always; info and debug with --verbose. */
    logger: (verbose: boolean | undefined) => createCliLogger(out, verbose === true),
    /** A progress line on a terminal, unless the output is --json. */
    progress: (json: boolean | undefined) => createProgress(out, json !== true),
    /** The n8n client, once what the person should know of the connection is said. */
    n8n: ({ warnings = [], ...connection }: N8nConnection, logger: Logger) => {
      for (const warning of warnings) logger.warn(warning);
      return createN8nClient({ ...connection, logger });
    },
    /** The store --store names (a folder or s3://bucket/prefix). */
    store: (option: string | undefined) => storeFromOption(option, env),
    /** The store that holds the archive at this location (a path or an s3:// URL). */
    storeForArchive: (location: string) => storeForArchive(location, env),
    /** The archive at this location, from `store` or the store that holds it. */
    openArchive: async (location: string, store?: ArchiveStore) =>
      openArchiveAt(store ?? (await storeForArchive(location, env)), location, openZipArchive),
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

/** What every command's action is given to build its run from. */
export type Cli = ReturnType<typeof composeCli>;
