import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { FileLedgerStore } from '../../adapters/file-ledger-store.js';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { openArchiveAt } from '../../core/archive/access.js';
import { InvalidOptionError, RestoreError, UsageError } from '../../core/errors.js';
import { COUNTED_RESOURCES, RESTORE_RESOURCES } from '../../core/kinds/index.js';
import { CONFLICT_POLICIES, DATA_TABLE_ROWS_POLICIES } from '../../core/kinds/shared/conflict-policy.js';
import { type LockOwner, systemClock } from '../../core/ports.js';
import { parseRestoreOptions, type RestoreOptionsInput } from '../../core/restore/options.js';
import { incompleteSummary } from '../../core/restore/report.js';
import { runRestore } from '../../core/restore/run.js';
import type { RestorePlan, RestoreReport, RestoreWarning } from '../../core/restore/types.js';
import { addConnectionOptions, type ConnectionOptions, connect, instanceNameFromUrl } from '../connection.js';
import { createCliLogger, createProgress, formatTable, type Output, printJson } from '../output.js';
import { credentialSecretSource } from '../secrets.js';
import { isS3Location, storeForArchive } from '../stores.js';

/** Flags restore and migrate share ("[same options]" in the issue). */
export interface RestoreFlags {
  dryRun?: boolean;
  onConflict?: string;
  dataTableRows?: string;
  projectMap?: string[];
  credentialSecrets?: string;
  only?: string;
  project?: string;
  tag?: string;
  workflow?: string;
  ledger?: string;
  rowBatchSize?: string;
  activate?: boolean;
  keepWorkflowIds?: boolean;
  requireSameMinor?: boolean;
  installCommunityPackages?: boolean;
  unverifiedCommunityPackages?: boolean;
  timeout?: string;
  json?: boolean;
  verbose?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addRestoreOptions(command: Command): Command {
  return command
    .option('--dry-run', 'print the plan (create / update / skip / conflict per object) and write nothing')
    .option(
      '--on-conflict <policy>',
      `what to do with an object the target already has: ${CONFLICT_POLICIES.join('|')} (only what the selection chose: what it pulls in is created when missing, never overwritten)`,
      'skip',
    )
    .option(
      '--data-table-rows <policy>',
      `the rows of a chosen data table the target already has: ${DATA_TABLE_ROWS_POLICIES.join('|')} (keep them, add the archive's, or delete them and write the archive's); new tables always get their rows`,
      'skip',
    )
    .option(
      '--project-map <"Source=Target">',
      "put a source project's contents into a target project of another name (repeatable)",
      collect,
    )
    .option(
      '--credential-secrets <file>',
      'JSON file mapping credential id or name to its data, or sm://<prefix> for Secrets Manager secrets <prefix>/<credential id>, to create real credentials instead of stubs',
    )
    .option('--only <resources>', `restore only these (comma-separated): ${RESTORE_RESOURCES.join(',')}`)
    .option('--project <name>', 'restore only this source project, and what it needs')
    .option('--tag <name>', 'restore only workflows with this tag, and what they need')
    .option('--workflow <glob>', 'restore only workflows whose name matches (* and ?), and what they need')
    .option('--ledger <file>', 'where the restore ledger is kept (default: beside the archive)')
    .option(
      '--row-batch-size <n>',
      'data-table rows per insert request (each request also stays within 4 MiB)',
      '5000',
    )
    .option(
      '--timeout <minutes>',
      'stop the restore cleanly at the next object after this many minutes (exit 6; the ledger keeps what was done: run the same command again to continue)',
    )
    .option('--no-activate', 'leave workflows inactive even if they were active in the archive')
    .option(
      '--keep-workflow-ids',
      "create workflows under their archive ids (n8n 2.24+, through n8n's package import), so links, webhook callers and logs naming a workflow id keep working; for a disaster-recovery restore into an empty instance",
    )
    .option(
      '--require-same-minor',
      "refuse (exit 2, nothing written) unless the target runs the source's n8n major.minor, as both instances state it; without it an older target is only a warning",
    )
    .option(
      '--install-community-packages',
      "install the community packages whose node types the target lacks, at the archive's versions, before writing anything (needs the communityPackage:install scope); without it the plan says what to install and workflows that use them are written but not published",
    )
    .option(
      '--unverified-community-packages',
      "with --install-community-packages: install even packages missing from n8n's vetted list (which n8n reads online), from n8n's npm registry",
    )
    .option('--json', 'print one JSON object {created, updated, skipped, failed, idMap, warnings} on stdout')
    .option('--verbose', 'log each step on stderr');
}

export function registerRestoreCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  addRestoreOptions(
    addConnectionOptions(
      program
        .command('restore')
        .summary('restore an archive into an n8n instance (the same one or another)')
        .description(
          'Verifies the whole archive, compares it with the target and restores in dependency order: ' +
            'projects, folders, tags, variables, credentials (stubs with the same id), data tables and ' +
            'rows, workflows (new ids and every reference rewritten, or their own ids with ' +
            '--keep-workflow-ids), tags, archiving, activation. ' +
            'A ledger beside the archive records progress: run the same command again to continue an ' +
            'interrupted restore; a finished restore run again writes nothing.',
        )
        .argument('<archive>', 'archive path, or s3://bucket/key[?versionId=…]'),
    ),
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  # see what a disaster-recovery restore would do, writing nothing',
        '  n8n-ark restore ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip --url https://n8n-dr.example.com --api-key-env DR_KEY --dry-run',
        '  # replace what differs, putting project "Ops" into "Operations"',
        '  n8n-ark restore backup.zip --url http://localhost:5678 --api-key-env N8N_API_KEY --on-conflict overwrite --project-map "Ops=Operations"',
        '  # bring back one workflow as it was; the sub-workflows and tables it uses are only created if missing',
        "  n8n-ark restore backup.zip --url http://localhost:5678 --api-key-env N8N_API_KEY --workflow 'Orders*' --on-conflict overwrite",
        "  # replace the rows of project Ops's data tables with the archive's (the plan says how many each one loses)",
        '  n8n-ark restore backup.zip --url http://localhost:5678 --api-key-env N8N_API_KEY --project Ops --only dataTables --data-table-rows replace --dry-run',
        '  # rebuild a lost instance with the same workflow ids (n8n 2.24+)',
        '  n8n-ark restore backup.zip --url https://n8n-new.example.com --api-key-env NEW_KEY --keep-workflow-ids',
        "  # install the community packages the workflows need (the archive's versions) before restoring",
        '  n8n-ark restore backup.zip --url https://n8n-new.example.com --api-key-env NEW_KEY --install-community-packages',
        '',
      ].join('\n'),
    )
    .action(async (location: string, flags: ConnectionOptions & RestoreFlags) => {
      const logger = createCliLogger(out, flags.verbose === true);
      const options = { ...restoreOptionsFrom(flags), ...deadlineFrom(flags) };
      const api = await connect(flags, env, logger);
      const secrets = flags.credentialSecrets
        ? await credentialSecretSource(flags.credentialSecrets)
        : undefined;
      const archive = await openArchiveAt(await storeForArchive(location, env), location, openZipArchive);
      try {
        const ledgerStore = new FileLedgerStore(flags.ledger ?? defaultLedgerPath(location, api.baseUrl), {
          onStaleLock: (holder) => logger.warn('took over the lock of a restore that is gone', { ...holder }),
        });
        const run = await runRestore(
          {
            archive,
            api,
            ledgerStore,
            lockOwner: thisProcess(),
            capabilities: api,
            ...(secrets ? { secrets } : {}),
            clock: systemClock,
            logger,
            progress: createProgress(out, flags.json !== true),
          },
          options,
        );
        printRestoreOutcome(out, run.report, run.plan, flags);
      } finally {
        await archive.close();
      }
    });
}

/**
 * The shared flags as core restore options: the CLI only turns its text into plain values (`--only`
 * split at commas, `--project-map` pairs into an object); the core's schema validates them.
 */
export function restoreOptionsFrom(flags: RestoreFlags): RestoreOptionsInput {
  return parseRestoreOptions({
    onConflict: flags.onConflict,
    dataTableRows: flags.dataTableRows,
    projectMap: flags.projectMap ? projectMapFrom(flags.projectMap) : undefined,
    only: flags.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    project: flags.project,
    tag: flags.tag,
    workflow: flags.workflow,
    dryRun: flags.dryRun,
    activate: flags.activate,
    keepWorkflowIds: flags.keepWorkflowIds,
    requireSameMinor: flags.requireSameMinor,
    installCommunityPackages: flags.installCommunityPackages,
    unverifiedCommunityPackages: flags.unverifiedCommunityPackages,
    rowBatchSize: flags.rowBatchSize === undefined ? undefined : numberOrText(flags.rowBatchSize),
  });
}

/** `--timeout <minutes>` as the run's deadline (epoch ms), counted from now (restore, migrate, backup). */
export function deadlineFrom(
  flags: Pick<RestoreFlags, 'timeout'>,
  now = Date.now(),
): { deadline?: number; deadlineMarginMs?: number } {
  if (flags.timeout === undefined) return {};
  const minutes = Number(flags.timeout);
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new InvalidOptionError(
      'timeout',
      `must be a number of minutes above 0, not ${JSON.stringify(flags.timeout)}`,
    );
  return { deadline: now + minutes * 60_000, deadlineMarginMs: 0 };
}

/** `--project-map "Source=Target"` (repeatable) as `{ Source: "Target" }`; the pair's syntax is the CLI's. */
function projectMapFrom(pairs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const from = pair.slice(0, at).trim();
    const to = pair.slice(at + 1).trim();
    if (at < 0 || !from || !to)
      throw new UsageError(
        `--project-map ${JSON.stringify(pair)}: write it as "Source project=Target project"`,
      );
    if (Object.hasOwn(map, from)) throw new UsageError(`--project-map maps ${JSON.stringify(from)} twice`);
    map[from] = to;
  }
  return map;
}

/** A number when the text is one; otherwise the text, so the schema's refusal quotes what was typed. */
function numberOrText(text: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;
}

/** The ledger's default place: beside a local archive; for an S3 archive, a local file named after it. */
export function defaultLedgerPath(archiveLocation: string, targetUrl: string): string {
  const target = instanceNameFromUrl(targetUrl);
  if (isS3Location(archiveLocation)) {
    const name = basename(new URL(archiveLocation).pathname).replace(/\.zip$/, '');
    return resolve('n8n-ark-ledgers', `${name}.restore-${target}.ledger.json`);
  }
  const path = resolve(archiveLocation);
  return join(dirname(path), `${basename(path).replace(/\.zip$/, '')}.restore-${target}.ledger.json`);
}

/** This CLI process, as a ledger lock names it. */
export function thisProcess(): LockOwner {
  return { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
}

/** The issue's --json shape; notes and credentials still waiting for secrets ride along as warnings. */
export function restoreJson(report: RestoreReport): {
  complete: boolean;
  created: RestoreReport['created'];
  updated: RestoreReport['updated'];
  skipped: RestoreReport['skipped'];
  failed: RestoreReport['failed'];
  idMap: RestoreReport['idMap'];
  warnings: RestoreWarning[];
  durationMs: number;
} {
  return {
    complete: report.complete,
    created: report.created,
    updated: report.updated,
    skipped: report.skipped,
    failed: report.failed,
    idMap: report.idMap,
    warnings: [
      ...report.notes.map((message) => ({ code: 'note', message })),
      ...report.warnings,
      ...report.credentialsAwaitingSecrets.map((c) => ({
        code: 'credential-awaiting-secret',
        resource: 'credentials' as const,
        message: `credential "${c.name}" (${c.type}, id ${c.id}) was created as a stub; fill in its secret in n8n, or run this restore again with --credential-secrets holding it`,
      })),
    ],
    durationMs: report.durationMs,
  };
}

export function printRestoreOutcome(
  out: Output,
  report: RestoreReport,
  plan: RestorePlan,
  flags: RestoreFlags,
): void {
  if (flags.dryRun) {
    // The core's dry-run report: the plan's decisions, or what continuing an existing ledger would do.
    const dry = report;
    if (flags.json) {
      printJson(out, { dryRun: true, ...restoreJson(dry), plan: plan.entries });
      return;
    }
    out.stdout.write(
      `Plan for restoring ${plan.archive.instance} (${plan.archive.startedAt}) into ${plan.target.url} — nothing written (dry run)\n\n`,
    );
    out.stdout.write(
      `${formatTable([
        ['resource', 'action', 'name', 'reason'],
        ...plan.entries.map((e) => [
          e.resource,
          e.action,
          e.renameTo ? `${e.name} → ${e.renameTo}` : e.name,
          e.pulledInBy ? `${e.reason} (${e.pulledInBy})` : e.reason,
        ]),
      ])}\n\n`,
    );
    writeCounts(out, dry);
    for (const note of dry.notes) out.stdout.write(`note: ${note}\n`);
    for (const warning of dry.warnings) out.stdout.write(`warning: ${warning.message}\n`);
    return;
  }
  if (flags.json) printJson(out, restoreJson(report));
  else {
    out.stdout.write(
      `Restored ${plan.archive.instance} (${plan.archive.startedAt}) into ${plan.target.url} in ${(report.durationMs / 1000).toFixed(1)} s\n\n`,
    );
    writeCounts(out, report);
    for (const note of report.notes) out.stdout.write(`note: ${note}\n`);
    for (const warning of report.warnings) out.stdout.write(`warning: ${warning.message}\n`);
    if (report.credentialsAwaitingSecrets.length > 0) {
      out.stdout.write(
        `\n${report.credentialsAwaitingSecrets.length} credential(s) are stubs waiting for their secret:\n`,
      );
      for (const c of report.credentialsAwaitingSecrets)
        out.stdout.write(`  ${c.name} (${c.type}, id ${c.id})\n`);
    }
  }
  const failed = Object.values(report.failed).reduce((a, b) => a + b, 0);
  if (failed > 0 || (report.done && !report.complete)) throw new RestoreError(incompleteSummary(report));
  if (!report.done)
    throw new RestoreError(
      `the restore stopped at its --timeout ${flags.timeout} minute(s) before it was done; the ledger keeps what was done: run the same command again to continue`,
    );
}

function writeCounts(out: Output, report: RestoreReport): void {
  out.stdout.write(
    `${formatTable([
      ['resource', 'created', 'updated', 'skipped', 'failed'],
      ...COUNTED_RESOURCES.map((r) => [
        r,
        String(report.created[r]),
        String(report.updated[r]),
        String(report.skipped[r]),
        String(report.failed[r]),
      ]),
    ])}\n\n`,
  );
}
