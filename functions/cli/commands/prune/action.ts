import { flagOf } from '../../../core/options/table.js';
import { describeKeep } from '../../../core/retention/describe.js';
import { KEEP_OPTION } from '../../../core/retention/options.js';
import {
  checkRetentionPolicy,
  RETENTION_RULES,
  type RetentionPolicy,
} from '../../../core/retention/policy.js';
import { type PruneReport, runPrune } from '../../../core/retention/prune.js';
import { defineCommand } from '../../command.js';
import { formatTable, printJson } from '../../output.js';
import { PRUNE_COMMAND } from './options.js';

export const pruneCommand = defineCommand(PRUNE_COMMAND, async ({ values, cli }) => {
  const policy: RetentionPolicy = {};
  for (const rule of RETENTION_RULES) {
    const count = values[KEEP_OPTION[rule]];
    if (count !== undefined) policy[rule] = count;
  }
  const checked = checkRetentionPolicy(policy, (rule) => flagOf(KEEP_OPTION[rule]));
  const archives = await cli.archives(values);
  const report = await runPrune(
    { store: await archives.store(values.store), openReader: archives.openReader, clock: cli.clock },
    { instance: values.instance ?? '', policy: checked, dryRun: values.dryRun === true },
  );
  if (values.json) printJson(cli.out, report);
  else cli.out.stdout.write(formatPruneReport(report));
});

export function formatPruneReport(report: PruneReport): string {
  const rules = RETENTION_RULES.map((rule) => `${rule} ${report.policy[rule]}`).join(', ');
  const lines = [
    `${report.dryRun ? 'Dry run: would prune' : 'Pruned'} ${report.instance} in ${report.store} (keep ${rules})`,
  ];
  if (report.newestVerifiedWithoutKey)
    lines.push(
      `note: ${report.newestVerified} is encrypted and no key was given: its encryption's header and length were checked, not its contents (give --identity-file or a passphrase to verify it whole)`,
    );
  for (const failed of report.failedVerification)
    lines.push(
      `warning: ${failed.archive} fails verification (${failed.problem}); kept, with the newest that passes`,
    );
  const deleteWord = report.dryRun ? 'would delete' : 'deleted';
  const rows = [
    ...report.kept.map((k) => [k.createdAt, 'kept', describeKeep(k), k.archive]),
    ...report.deleted.map((d) => [d.createdAt, deleteWord, '', d.archive]),
  ].sort((a, b) => (b[0] ?? '').localeCompare(a[0] ?? ''));
  if (rows.length === 0) lines.push(`No archives of ${report.instance} in ${report.store}.`);
  else lines.push(formatTable([['created (UTC)', 'action', 'kept by', 'archive'], ...rows]));
  lines.push(`${report.kept.length} kept, ${report.deleted.length} ${deleteWord}.`);
  return `${lines.join('\n')}\n`;
}
