import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FileLedgerStore } from '../../adapters/file-ledger-store.js';
import { N8nHttpClient } from '../../adapters/n8n-http-client.js';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../adapters/zip-archive-writer.js';
import { type Logger, systemClock } from '../../core/ports.js';
import { runMigrate } from '../../core/restore/migrate.js';
import { TOOL_VERSION } from '../../version.js';
import { resolveApiKey } from '../api-key.js';
import {
  addRequestBoundOptions,
  instanceNameFromUrl,
  parsePositiveInt,
  parseUrl,
  type RequestBoundFlags,
  requestBounds,
} from '../connection.js';
import { createCliLogger, createProgress, type Output } from '../output.js';
import { credentialSecretSource } from '../secrets.js';
import { storeFromOption } from '../stores.js';
import {
  addRestoreOptions,
  deadlineFrom,
  defaultLedgerPath,
  printRestoreOutcome,
  type RestoreFlags,
  restoreOptionsFrom,
  thisProcess,
} from './restore.js';

interface MigrateFlags extends RestoreFlags, RequestBoundFlags {
  fromUrl?: string;
  fromKeyEnv?: string;
  fromKeyFile?: string;
  toUrl?: string;
  toKeyEnv?: string;
  toKeyFile?: string;
  keepArchive?: boolean;
  store?: string;
  instance?: string;
  concurrency?: string;
}

export function registerMigrateCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  addRestoreOptions(
    addRequestBoundOptions(program.command('migrate'))
      .summary('move everything from one n8n instance to another')
      .description(
        'Backs the source up into an archive, verifies it, and restores it into the target (see ' +
          '`n8n-ark restore --help` for how objects are matched and references rewritten). The archive ' +
          'is temporary unless --keep-archive; if the restore stops, the archive and its ledger are kept ' +
          'and the message says how to continue with `n8n-ark restore`.',
      )
      .option('--from-url <url>', 'base URL of the source instance')
      .option('--from-key-env <VAR>', "environment variable holding the source's API key")
      .option('--from-key-file <path>', "file holding the source's API key")
      .option('--to-url <url>', 'base URL of the target instance')
      .option('--to-key-env <VAR>', "environment variable holding the target's API key")
      .option('--to-key-file <path>', "file holding the target's API key")
      .option('--keep-archive', 'keep the intermediate archive (printed at the end)')
      .option(
        '--store <dir|s3://bucket/prefix>',
        'where the intermediate archive goes (default: a temporary folder)',
      )
      .option('--instance <name>', 'name the archive is filed under (default: the source host)')
      .option('--concurrency <n>', 'parallel requests to each instance', '4'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  # the plan first, then the move (keeping workflow ids needs n8n 2.24+ on the target)\n' +
        '  n8n-ark migrate --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --dry-run\n' +
        '  n8n-ark migrate --from-url https://old.example.com --from-key-env OLD_KEY --to-url https://new.example.com --to-key-env NEW_KEY --keep-workflow-ids\n',
    )
    .action(async (flags: MigrateFlags) => {
      const logger = createCliLogger(out, flags.verbose === true);
      const options = { ...restoreOptionsFrom(flags), ...deadlineFrom(flags) };
      const limits = {
        concurrency: parsePositiveInt(flags.concurrency, '--concurrency', 4),
        ...requestBounds(flags),
      };
      const source = await client(
        flags.fromUrl,
        '--from-url',
        { apiKeyEnv: flags.fromKeyEnv, apiKeyFile: flags.fromKeyFile },
        { env: '--from-key-env', file: '--from-key-file' },
        env,
        limits,
        logger,
      );
      const target = await client(
        flags.toUrl,
        '--to-url',
        { apiKeyEnv: flags.toKeyEnv, apiKeyFile: flags.toKeyFile },
        { env: '--to-key-env', file: '--to-key-file' },
        env,
        limits,
        logger,
      );
      const secrets = flags.credentialSecrets
        ? await credentialSecretSource(flags.credentialSecrets)
        : undefined;
      const temporary = flags.store ? undefined : await mkdtemp(join(tmpdir(), 'n8n-ark-migrate-'));
      const store = await storeFromOption(flags.store ?? temporary, env);
      let keep = flags.keepArchive === true || flags.store !== undefined;
      let archiveLocation: string | undefined;
      try {
        const result = await runMigrate(
          {
            source,
            target,
            targetCapabilities: target,
            store,
            createWriter: createZipArchiveWriter,
            openReader: openZipArchive,
            ledgerStoreFor: (location) => {
              archiveLocation = location;
              return new FileLedgerStore(flags.ledger ?? defaultLedgerPath(location, target.baseUrl));
            },
            lockOwner: thisProcess(),
            ...(secrets ? { secrets } : {}),
            clock: systemClock,
            logger,
            progress: createProgress(out, flags.json !== true),
            toolVersion: TOOL_VERSION,
          },
          { ...options, instance: flags.instance ?? instanceNameFromUrl(source.baseUrl) },
        );
        if (keep && !flags.json) out.stdout.write(`Archive kept: ${result.backup.archive.location}\n`);
        printRestoreOutcome(out, result.restore.report, result.restore.plan, flags);
      } catch (error) {
        // A stopped restore can continue from the archive and its ledger: keep both and say how.
        if (archiveLocation) {
          keep = true;
          logger.error(
            `the migration stopped; continue it with: n8n-ark restore ${archiveLocation} --url ${target.baseUrl} --api-key-env <VAR>`,
          );
        }
        throw error;
      } finally {
        if (temporary && !keep) await rm(temporary, { recursive: true, force: true });
      }
    });
}

async function client(
  url: string | undefined,
  flag: string,
  key: { apiKeyEnv?: string | undefined; apiKeyFile?: string | undefined },
  flags: { env: string; file: string },
  env: NodeJS.ProcessEnv,
  limits: { concurrency: number } & ReturnType<typeof requestBounds>,
  logger: Logger,
): Promise<N8nHttpClient> {
  const baseUrl = parseUrl(url, flag);
  const apiKey = await resolveApiKey(
    {
      ...(key.apiKeyEnv ? { apiKeyEnv: key.apiKeyEnv } : {}),
      ...(key.apiKeyFile ? { apiKeyFile: key.apiKeyFile } : {}),
    },
    env,
    flags,
  );
  return new N8nHttpClient({ baseUrl, apiKey, ...limits, logger });
}
