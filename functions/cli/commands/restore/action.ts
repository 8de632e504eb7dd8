import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { RestoreError } from '../../../core/errors.js';
import { COUNTED_RESOURCES } from '../../../core/kinds/index.js';
import type { LockOwner } from '../../../core/ports.js';
import { groupRestoreOptions, type RestoreOptionsInput, withRun } from '../../../core/restore/options.js';
import { incompleteSummary } from '../../../core/restore/report.js';
import { runRestore } from '../../../core/restore/run.js';
import type {
  RestoreOptions,
  RestorePlan,
  RestoreReport,
  RestoreWarning,
} from '../../../core/restore/types.js';
import { defineCommand } from '../../command.js';
import { connectionOf, instanceNameFromUrl } from '../../connection.js';
import { credentialAwaitingSecret, restoreStoppedAtTimeout } from '../../errors.js';
import { deadlineFrom } from '../../flags.js';
import { formatTable, type Output, printJson } from '../../output.js';
import { isS3Location } from '../../stores.js';
import { RESTORE_COMMAND } from './options.js';

export const restoreCommand = defineCommand(
  RESTORE_COMMAND,
  async ({ args: [location = ''], values, cli }) => {
    const logger = cli.logger(values.verbose);
    const options = restoreOptionsOf(values, values.timeout);
    const api = cli.n8n(await connectionOf(values, cli.env), logger);
    const secrets = await cli.secrets(values.credentialSecrets);
    const archive = await (await cli.archives(values)).openArchive(location);
    try {
      const run = await runRestore(
        {
          archive,
          api,
          ledgerStore: cli.ledgerStore(values.ledger ?? defaultLedgerPath(location, api.baseUrl), logger),
          lockOwner: thisProcess(),
          targetLocks: cli.targetLocks(api.baseUrl, logger),
          capabilities: api,
          ...(secrets ? { secrets } : {}),
          clock: cli.clock,
          logger,
          progress: cli.progress(values.json),
        },
        options,
      );
      printRestoreOutcome(cli.out, run.report, run.plan, values);
    } finally {
      await archive.close();
    }
  },
);

/** The validated flags as the core's grouped options, with --timeout as the run's deadline. */
export function restoreOptionsOf(values: RestoreOptionsInput, timeout: string | undefined): RestoreOptions {
  return withRun(groupRestoreOptions(values), deadlineFrom(timeout));
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
        message: credentialAwaitingSecret(c),
      })),
    ],
    durationMs: report.durationMs,
  };
}

/** The outcome on stdout (a table, or JSON); a restore that is not complete then fails (exit 6). */
export function printRestoreOutcome(
  out: Output,
  report: RestoreReport,
  plan: RestorePlan,
  flags: { dryRun?: boolean; json?: boolean; timeout?: string },
): void {
  if (flags.dryRun) {
    printDryRun(out, report, plan, flags.json === true);
    return;
  }
  if (flags.json) printJson(out, restoreJson(report));
  else printRestored(out, report, plan);
  const failed = Object.values(report.failed).reduce((a, b) => a + b, 0);
  if (failed > 0 || (report.done && !report.complete)) throw new RestoreError(incompleteSummary(report));
  if (!report.done) throw restoreStoppedAtTimeout(flags.timeout);
}

/** The core's dry-run report: the plan's decisions, or what continuing an existing ledger would do. */
function printDryRun(out: Output, dry: RestoreReport, plan: RestorePlan, json: boolean): void {
  if (json) {
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
        e.refusedBy ? 'refused' : e.action,
        e.renameTo ? `${e.name} → ${e.renameTo}` : e.name,
        e.refusedBy ?? (e.pulledInBy ? `${e.reason} (${e.pulledInBy})` : e.reason),
      ]),
    ])}\n\n`,
  );
  writeCounts(out, dry);
  writeNotes(out, dry);
}

function printRestored(out: Output, report: RestoreReport, plan: RestorePlan): void {
  out.stdout.write(
    `Restored ${plan.archive.instance} (${plan.archive.startedAt}) into ${plan.target.url} in ${(report.durationMs / 1000).toFixed(1)} s\n\n`,
  );
  writeCounts(out, report);
  writeNotes(out, report);
  if (report.credentialsAwaitingSecrets.length === 0) return;
  out.stdout.write(
    `\n${report.credentialsAwaitingSecrets.length} credential(s) are stubs waiting for their secret:\n`,
  );
  for (const c of report.credentialsAwaitingSecrets)
    out.stdout.write(`  ${c.name} (${c.type}, id ${c.id})\n`);
}

function writeNotes(out: Output, report: RestoreReport): void {
  for (const note of report.notes) out.stdout.write(`note: ${note}\n`);
  for (const warning of report.warnings) out.stdout.write(`warning: ${warning.message}\n`);
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
