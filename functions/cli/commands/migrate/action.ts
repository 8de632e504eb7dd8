import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OptionValues } from '../../../core/options/table.js';
import type { Logger } from '../../../core/ports.js';
import { type MigrateDeps, runMigrate } from '../../../core/restore/migrate.js';
import { defineCommand } from '../../command.js';
import type { Cli } from '../../compose.js';
import { defaultInstanceName, parseUrl } from '../../connection.js';
import { badArchiveKey, continueMigration } from '../../errors.js';
import { connectBoth, FROM, transferPorts } from '../../two-instances.js';
import { defaultLedgerPath, printRestoreOutcome, restoreOptionsOf } from '../restore/action.js';
import { MIGRATE_COMMAND } from './options.js';

type MigrateValues = OptionValues<typeof MIGRATE_COMMAND.options>;

/** The restore reads the archive back: sealed to public keys alone, it could not. */
function refuseUnreadableArchive(values: MigrateValues): void {
  if (values.encrypt && !values.identityFile?.length && !values.passphraseEnv && !values.passphraseFile)
    throw badArchiveKey.migrateCannotReadBack();
}

export const migrateCommand = defineCommand(MIGRATE_COMMAND, async ({ values, cli }) => {
  const logger = cli.logger(values.verbose);
  const options = restoreOptionsOf(values, values.timeout);
  const sourceUrl = parseUrl(values.fromUrl, FROM.url);
  // Before any folder or file is made: the archive and its ledger are filed under this name.
  const instance = values.instance ?? defaultInstanceName(sourceUrl);
  // Each side's client: the same request limits, no wait for n8n past --timeout.
  const pair = await connectBoth(cli, values, logger, options.run?.deadline);
  refuseUnreadableArchive(values);
  const temporary = values.store ? undefined : await mkdtemp(join(tmpdir(), 'n8n-ark-migrate-'));
  const { target } = pair;
  const run = new MigrationRun(
    cli,
    values,
    logger,
    values.keepArchive === true || values.store !== undefined,
  );
  try {
    const result = await runMigrate(
      {
        ...(await transferPorts(cli, values, logger, pair, values.store ?? temporary)),
        targetCapabilities: target,
        ledgerStoreFor: (location) => run.ledgerStoreFor(location, target.baseUrl),
      },
      { ...options, instance },
    );
    if (run.keep && !values.json) cli.out.stdout.write(`Archive kept: ${result.backup.archive.location}\n`);
    printRestoreOutcome(cli.out, result.restore.report, result.restore.plan, values);
  } catch (error) {
    run.stopped(target.baseUrl);
    throw error;
  } finally {
    if (temporary && !run.keep) await rm(temporary, { recursive: true, force: true });
  }
});

/** Whether the intermediate archive is kept: asked for, in a store of the person's, or needed to continue. */
class MigrationRun {
  private archiveLocation: string | undefined;

  constructor(
    private readonly cli: Cli,
    private readonly values: MigrateValues,
    private readonly logger: Logger,
    public keep: boolean,
  ) {}

  ledgerStoreFor(location: string, targetUrl: string): ReturnType<MigrateDeps['ledgerStoreFor']> {
    this.archiveLocation = location;
    return this.cli.ledgerStore(this.values.ledger ?? defaultLedgerPath(location, targetUrl));
  }

  /** A stopped restore can continue from the archive and its ledger: keep both and say how. */
  stopped(targetUrl: string): void {
    if (!this.archiveLocation) return;
    this.keep = true;
    this.logger.error(continueMigration(this.archiveLocation, targetUrl));
  }
}
