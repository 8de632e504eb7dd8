import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../adapters/zip-archive-writer.js';
import { runBackup } from '../../core/backup/run.js';
import { BackupDeadlineError, UsageError } from '../../core/errors.js';
import { systemClock } from '../../core/ports.js';
import { TOOL_VERSION } from '../../version.js';
import { addConnectionOptions, type ConnectionOptions, connect, instanceNameFromUrl } from '../connection.js';
import {
  createCliLogger,
  createProgress,
  formatBytes,
  formatTable,
  type Output,
  printJson,
} from '../output.js';
import { storeFromOption } from '../stores.js';
import { deadlineFrom } from './restore.js';

interface BackupFlags extends ConnectionOptions {
  instance?: string;
  store?: string;
  timeout?: string;
  history?: string;
  full?: boolean;
  json?: boolean;
  verbose?: boolean;
}

const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function registerBackupCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  addConnectionOptions(
    program
      .command('backup')
      .summary('back up an n8n instance into one verifiable archive')
      .description(
        'Backs up workflows, tags, variables, data tables (schema and rows), credential metadata (never ' +
          'secrets), projects, folders and users into one checksummed zip archive in the store. ' +
          'Resources the instance is not licensed for, or the key may not read, are skipped and listed.',
      ),
  )
    .option('--instance <name>', 'name the archives are filed under (default: the URL host)')
    .option('--store <dir|s3://bucket/prefix>', 'where archives are kept', './n8n-ark-backups')
    .option(
      '--timeout <minutes>',
      'stop the backup at the next object after this many minutes and publish nothing (exit 6; the partial archive is removed)',
    )
    .option(
      '--history <versions>',
      "newest saved versions of each workflow to keep in the archive (n8n's version history; 0 keeps none)",
      '10',
    )
    .option(
      '--full',
      'read every workflow afresh; by default workflows unchanged since the previous archive of this instance in the store are copied from it',
    )
    .option('--json', 'print one JSON object {archive, counts, skipped, warnings} on stdout')
    .option('--verbose', 'log each step on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  export N8N_API_KEY=…   # Settings → n8n API in n8n\n' +
        '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY\n' +
        '  n8n-ark backup --url http://localhost:5678 --api-key-file ~/.n8n-key --instance prod --store s3://my-bucket/n8n\n' +
        '  n8n-ark backup --url https://n8n.example.com --api-key-env N8N_API_KEY --full   # nothing reused from the last archive\n',
    )
    .action(async (flags: BackupFlags) => {
      const logger = createCliLogger(out, flags.verbose === true);
      const { deadline } = deadlineFrom(flags);
      const history = historyFrom(flags.history);
      const api = await connect(flags, env, logger);
      const instance = flags.instance ?? instanceNameFromUrl(api.baseUrl);
      if (!INSTANCE_NAME.test(instance)) {
        throw new UsageError(
          `--instance ${JSON.stringify(instance)}: use letters, digits, '.', '_' or '-' (up to 63).`,
        );
      }
      const result = await runBackup(
        {
          api,
          store: await storeFromOption(flags.store, env),
          createWriter: createZipArchiveWriter,
          clock: systemClock,
          logger,
          progress: createProgress(out, flags.json !== true),
          toolVersion: TOOL_VERSION,
          openReader: openZipArchive,
        },
        {
          instance,
          history,
          full: flags.full === true,
          ...(deadline === undefined ? {} : { deadline }),
        },
      ).catch((error: unknown) => {
        throw error instanceof BackupDeadlineError ? stoppedAtTimeout(error, flags.timeout) : error;
      });
      const { manifest, archive } = result;
      if (flags.json) {
        printJson(out, {
          archive: archive.location,
          bytes: archive.size,
          durationMs: result.durationMs,
          ...(manifest.incremental ? { incremental: manifest.incremental } : {}),
          counts: manifest.counts,
          skipped: manifest.skipped,
          warnings: manifest.warnings,
        });
        return;
      }
      out.stdout.write(
        `Archive: ${archive.location} (${formatBytes(archive.size)}, ${(result.durationMs / 1000).toFixed(1)} s)\n\n`,
      );
      out.stdout.write(
        `${formatTable([['resource', 'count'], ...Object.entries(manifest.counts).map(([k, v]) => [k, String(v)])])}\n`,
      );
      for (const skip of manifest.skipped) out.stdout.write(`skipped: ${skip.resource} — ${skip.reason}\n`);
      for (const warning of manifest.warnings) out.stdout.write(`warning: ${warning.message}\n`);
    });
}

/** The core's deadline, worded with the flag that set it. */
function stoppedAtTimeout(error: BackupDeadlineError, timeout: string | undefined): BackupDeadlineError {
  return new BackupDeadlineError(
    `the backup stopped at its --timeout ${timeout} minute(s) before it was done; no archive was published (the partial one was removed): run it again, with a longer --timeout if it needs one`,
    { deadline: error.deadline },
    { cause: error },
  );
}

function historyFrom(value: string | undefined): number {
  const versions = Number(value ?? '10');
  if (!/^\d+$/.test(value ?? '10') || versions > 1000)
    throw new UsageError(
      `--history ${JSON.stringify(value)}: give a whole number of versions from 0 to 1000.`,
    );
  return versions;
}
