import { writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { rollbackIsNoDryRun } from '../../../core/cutover/errors.js';
import { renderCutoverHtml } from '../../../core/cutover/html.js';
import { type RollbackResult, runRollback } from '../../../core/cutover/rollback.js';
import { runCutover } from '../../../core/cutover/run.js';
import type { CutoverDeps, CutoverReport, PreflightReport } from '../../../core/cutover/types.js';
import type { OptionValues } from '../../../core/options/table.js';
import { defineCommand } from '../../command.js';
import type { Cli } from '../../compose.js';
import { defaultInstanceName, instanceNameFromUrl } from '../../connection.js';
import { formatTable, type Output, printJson } from '../../output.js';
import { FILE_MODE, writeAllOrNone } from '../../output-files.js';
import { isS3Location } from '../../stores.js';
import { connectBoth, transferPorts } from '../../two-instances.js';
import { defaultLedgerPath } from '../restore/action.js';
import { CUTOVER_COMMAND } from './options.js';

type CutoverValues = OptionValues<typeof CUTOVER_COMMAND.options>;

export const cutoverCommand = defineCommand(CUTOVER_COMMAND, async ({ values, cli }) => {
  if (values.rollback && values.dryRun) throw rollbackIsNoDryRun();
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
  const journal = journalPath(values, deps.source.baseUrl, deps.target.baseUrl);
  const html = report.dryRun ? undefined : await writeHtml(journal, report, cli.clock.now());
  if (values.json) printJson(cli.out, { ...report, ...(html ? { html } : {}) });
  else {
    printReport(cli.out, report);
    if (html) cli.out.stdout.write(`Report: ${html}\n`);
  }
});

/** The page beside the journal, named after it and the time: one per finished cutover, never over another. */
async function writeHtml(journal: string, report: CutoverReport, now: Date): Promise<string | undefined> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const name = `${basename(journal).replace(/\.json$/, '')}-${stamp}.html`;
  const [path] = await writeAllOrNone(dirname(journal), [
    {
      name,
      write: (to) =>
        writeFile(to, renderCutoverHtml(report, now.toISOString()), { flag: 'wx', mode: FILE_MODE }),
    },
  ]);
  return path;
}

const DEFAULT_STORE = './n8n-ark-cutovers';

/** --journal, else in the store (a local file named after both hosts beside an S3 store's name). */
function journalPath(values: CutoverValues, sourceUrl: string, targetUrl: string): string {
  if (values.journal) return values.journal;
  const store = values.store ?? DEFAULT_STORE;
  const name = `${instanceNameFromUrl(sourceUrl)}-to-${instanceNameFromUrl(targetUrl)}.cutover-journal.json`;
  return isS3Location(store) ? resolve('n8n-ark-cutovers', name) : join(resolve(store), name);
}

/** The ports a cutover runs on, from its flags (the composition root builds every adapter). */
export async function composeCutover(cli: Cli, values: CutoverValues): Promise<CutoverDeps> {
  const logger = cli.logger(values.verbose);
  const pair = await connectBoth(cli, values, logger);
  const { source, target } = pair;
  const journal = journalPath(values, source.baseUrl, target.baseUrl);
  return {
    ...(await transferPorts(cli, values, logger, pair, values.store ?? DEFAULT_STORE)),
    source,
    target,
    journalStore: cli.ledgerStore(journal, logger),
    restoreLedgerFor: (location) => cli.ledgerStore(defaultLedgerPath(location, target.baseUrl), logger),
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
