import { join, resolve } from 'node:path';
import { type RollbackResult, runRollback } from '../../../core/cutover/rollback.js';
import { runCutover } from '../../../core/cutover/run.js';
import type { CutoverDeps, CutoverReport, PreflightReport } from '../../../core/cutover/types.js';
import type { OptionValues } from '../../../core/options/table.js';
import { defineCommand } from '../../command.js';
import type { Cli } from '../../compose.js';
import { connectionOf, defaultInstanceName, instanceNameFromUrl, requestLimits } from '../../connection.js';
import { formatTable, type Output, printJson } from '../../output.js';
import { isS3Location } from '../../stores.js';
import { defaultLedgerPath, thisProcess } from '../restore/action.js';
import { CUTOVER_COMMAND } from './options.js';

type CutoverValues = OptionValues<typeof CUTOVER_COMMAND.options>;

const FROM = { url: '--from-url', env: '--from-key-env', file: '--from-key-file' };
const TO = { url: '--to-url', env: '--to-key-env', file: '--to-key-file' };

export const cutoverCommand = defineCommand(CUTOVER_COMMAND, async ({ values, cli }) => {
  const deps = await composeCutover(cli, values);
  if (values.rollback) {
    const result = await runRollback(deps);
    printRollback(cli.out, result, values.json === true);
    return;
  }
  const report = await runCutover(deps, {
    instance: values.instance ?? defaultInstanceName(deps.source.baseUrl),
    ...(values.dryRun ? { dryRun: true } : {}),
    ...(values.keepWorkflowIds ? { keepWorkflowIds: true } : {}),
    drainMs: (values.drainTimeout ?? 60) * 1000,
  });
  if (values.json) printJson(cli.out, report);
  else printReport(cli.out, report);
});

/** The ports a cutover runs on, from its flags (the composition root builds every adapter). */
export async function composeCutover(cli: Cli, values: CutoverValues): Promise<CutoverDeps> {
  const logger = cli.logger(values.verbose);
  const limits = requestLimits(values);
  const connect = async (url?: string, env?: string, file?: string, names = FROM) =>
    cli.n8n(
      await connectionOf(
        {
          url,
          apiKeyEnv: env || undefined,
          apiKeyFile: file || undefined,
          requireHttps: values.requireHttps,
        },
        cli.env,
        names,
        limits,
      ),
      logger,
    );
  const source = await connect(values.fromUrl, values.fromKeyEnv, values.fromKeyFile, FROM);
  const target = await connect(values.toUrl, values.toKeyEnv, values.toKeyFile, TO);
  const archives = await cli.archives(values);
  const storeLocation = values.store ?? './n8n-ark-cutovers';
  const pairName = `${instanceNameFromUrl(source.baseUrl)}-to-${instanceNameFromUrl(target.baseUrl)}`;
  const journal =
    values.journal ??
    (isS3Location(storeLocation)
      ? resolve('n8n-ark-cutovers', `${pairName}.cutover-journal.json`)
      : join(resolve(storeLocation), `${pairName}.cutover-journal.json`));
  const secrets = await cli.secrets(values.credentialSecrets);
  return {
    source,
    target,
    store: await archives.store(storeLocation),
    createWriter: archives.createWriter,
    openReader: archives.openReader,
    journalStore: cli.ledgerStore(journal, logger),
    restoreLedgerFor: (location) => cli.ledgerStore(defaultLedgerPath(location, target.baseUrl), logger),
    lockOwner: thisProcess(),
    targetLocks: cli.targetLocks(target.baseUrl, logger),
    ...(secrets ? { secrets } : {}),
    clock: cli.clock,
    logger,
    progress: cli.progress(values.json),
    toolVersion: cli.toolVersion,
  };
}

function printPreflight(out: Output, preflight: PreflightReport): void {
  out.stdout.write(
    `Preflight: source n8n ${preflight.sourceVersion ?? 'unknown'}, target n8n ${preflight.targetVersion ?? 'unknown'}\n`,
  );
  out.stdout.write(
    `Restore plan: ${
      Object.entries(preflight.plan)
        .map(([a, n]) => `${n} ${a}`)
        .join(', ') || 'nothing'
    }\n`,
  );
  if (preflight.toFreeze.length > 0)
    out.stdout.write(
      `\nTo freeze on the source, then publish on the target:\n${formatTable([
        ['workflow', 'id', 'own trigger', 'webhooks'],
        ...preflight.toFreeze.map((w) => [w.name, w.id, w.triggers ? 'yes' : 'no', w.webhooks.join(', ')]),
      ])}\n`,
    );
  out.stdout.write(
    `Freeze window: at least ${(preflight.freezeFloorMs / 1000).toFixed(1)} s (a backup and a plan, measured now), plus the delta's writes and the publishes\n`,
  );
  for (const refusal of preflight.refusals) out.stdout.write(`REFUSED: ${refusal}\n`);
  for (const warning of preflight.warnings) out.stdout.write(`warning: ${warning.message}\n`);
  for (const note of preflight.notes) out.stdout.write(`note: ${note}\n`);
}

function printReport(out: Output, report: CutoverReport): void {
  if (report.preflight) printPreflight(out, report.preflight);
  if (report.dryRun) {
    out.stdout.write(`\nDry run: nothing was written to ${report.source} or ${report.target}.\n`);
    return;
  }
  out.stdout.write(
    `\nCutover ${report.source} → ${report.target}\n${formatTable([
      ['step', 'took', 'what it did'],
      ...report.steps.map((s) => [s.step, `${(s.ms / 1000).toFixed(1)} s`, s.summary]),
    ])}\n`,
  );
  if (report.freezeWindowMs !== undefined)
    out.stdout.write(
      `Freeze window (first unpublish → last publish): ${(report.freezeWindowMs / 1000).toFixed(1)} s\n`,
    );
  if (report.needsAPerson.length > 0)
    out.stdout.write(`\nNeeds a person:\n${report.needsAPerson.map((n) => `  - ${n}`).join('\n')}\n`);
}

function printRollback(out: Output, result: RollbackResult, json: boolean): void {
  if (json) {
    printJson(out, result);
    return;
  }
  out.stdout.write(
    `Rolled back in ${(result.ms / 1000).toFixed(1)} s: ${result.unpublishedOnTarget.length} unpublished on the target, ${result.republishedOnSource.length} published again on the source (the versions that ran).\n`,
  );
}
