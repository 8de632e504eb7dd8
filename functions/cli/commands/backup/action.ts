import type { BackupResult } from '../../../core/backup/run.js';
import { runBackup } from '../../../core/backup/run.js';
import { BackupDeadlineError } from '../../../core/errors.js';
import { defineCommand } from '../../command.js';
import { connectionOf, defaultInstanceName } from '../../connection.js';
import { backupStoppedAtTimeout } from '../../errors.js';
import { deadlineFrom } from '../../flags.js';
import { formatBytes, formatTable, type Output, printJson } from '../../output.js';
import { BACKUP_COMMAND } from './options.js';

export const backupCommand = defineCommand(BACKUP_COMMAND, async ({ values, cli }) => {
  const logger = cli.logger(values.verbose);
  const { deadline } = deadlineFrom(values.timeout);
  const api = cli.n8n(await connectionOf(values, cli.env), logger);
  const instance = values.instance ?? defaultInstanceName(api.baseUrl);
  const archives = await cli.archives(values);
  const result = await runBackup(
    {
      api,
      store: await archives.store(values.store),
      createWriter: archives.createWriter,
      clock: cli.clock,
      logger,
      progress: cli.progress(values.json),
      toolVersion: cli.toolVersion,
      openReader: archives.openReader,
    },
    {
      instance,
      history: values.history ?? 10,
      full: values.full === true,
      ...(deadline === undefined ? {} : { deadline }),
    },
  ).catch((error: unknown) => {
    throw error instanceof BackupDeadlineError ? backupStoppedAtTimeout(error, values.timeout) : error;
  });
  if (values.json) printBackupJson(cli.out, result);
  else printBackup(cli.out, result);
});

function printBackupJson(out: Output, { manifest, archive, durationMs }: BackupResult): void {
  printJson(out, {
    archive: archive.location,
    bytes: archive.size,
    ...(archive.encrypted ? { encrypted: true } : {}),
    durationMs,
    ...(manifest.incremental ? { incremental: manifest.incremental } : {}),
    counts: manifest.counts,
    skipped: manifest.skipped,
    warnings: manifest.warnings,
  });
}

function printBackup(out: Output, { manifest, archive, durationMs }: BackupResult): void {
  out.stdout.write(
    `Archive: ${archive.location} (${formatBytes(archive.size)}, ${(durationMs / 1000).toFixed(1)} s)\n\n`,
  );
  out.stdout.write(
    `${formatTable([['resource', 'count'], ...Object.entries(manifest.counts).map(([k, v]) => [k, String(v)])])}\n`,
  );
  for (const skip of manifest.skipped) out.stdout.write(`skipped: ${skip.resource} — ${skip.reason}\n`);
  for (const warning of manifest.warnings) out.stdout.write(`warning: ${warning.message}\n`);
}
