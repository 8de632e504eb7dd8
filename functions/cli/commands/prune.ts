import type { Command } from 'commander';
import { openZipArchive } from '../../adapters/zip-archive-reader.js';
import { UsageError } from '../../core/errors.js';
import { systemClock } from '../../core/ports.js';
import { describeKeep } from '../../core/retention/describe.js';
import {
  checkRetentionPolicy,
  MAX_RULE_COUNT,
  RETENTION_RULES,
  type RetentionPolicy,
  type RetentionRule,
} from '../../core/retention/policy.js';
import { type PruneReport, runPrune } from '../../core/retention/prune.js';
import { formatTable, type Output, printJson } from '../output.js';
import { storeFromOption } from '../stores.js';

type PruneFlags = {
  instance: string;
  store?: string;
  dryRun?: boolean;
  json?: boolean;
} & Partial<Record<`keep${Capitalize<RetentionRule>}`, string>>;

/** The names `backup --instance` accepts. */
const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const flagOf = (rule: RetentionRule) => `--keep-${rule}`;

export function registerPruneCommand(program: Command, out: Output, env: NodeJS.ProcessEnv): void {
  program
    .command('prune')
    .summary("delete an instance's archives that no retention rule keeps (restic forget's rules)")
    .description(
      "Keeps, as restic's `forget` does, the newest archive of each of the N most recent periods that " +
        'have one, for each rule on its own (days and months in UTC, ISO weeks; --keep-last counts ' +
        'archives); an archive kept by any rule stays, and so do the newest archive that passes ' +
        'verification, archives a restore has not finished from (a ledger beside them) and archives ' +
        'S3 Object Lock holds. Everything else is deleted; on a versioned bucket that is a delete ' +
        "marker, and the bucket's lifecycle removes the bytes later (docs/OPERATIONS.md).",
    )
    .requiredOption('--instance <name>', 'whose archives to prune')
    .option('--store <dir|s3://bucket/prefix>', 'where archives are kept', './n8n-ark-backups')
    .option('--keep-last <n>', 'keep the n newest archives')
    .option('--keep-daily <n>', 'keep the newest archive of each of the n most recent days that have one')
    .option('--keep-weekly <n>', 'the same for ISO weeks')
    .option('--keep-monthly <n>', 'the same for months')
    .option('--dry-run', 'decide and print, delete nothing')
    .option('--json', 'print one JSON object {instance, policy, newestVerified, kept, deleted, …} on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  n8n-ark prune --instance prod --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run\n' +
        '  n8n-ark prune --instance prod --store s3://my-bucket/archives --keep-last 3 --keep-daily 14 --json\n',
    )
    .action(async (flags: PruneFlags) => {
      if (!INSTANCE_NAME.test(flags.instance))
        throw new UsageError(
          `--instance ${JSON.stringify(flags.instance)}: use letters, digits, '.', '_' or '-' (up to 63), as backup names them`,
        );
      const policy = checkRetentionPolicy(policyFrom(flags), flagOf);
      const report = await runPrune(
        { store: await storeFromOption(flags.store, env), openReader: openZipArchive, clock: systemClock },
        { instance: flags.instance, policy, dryRun: flags.dryRun === true },
      );
      if (flags.json) printJson(out, report);
      else out.stdout.write(formatPruneReport(report));
    });
}

function policyFrom(flags: PruneFlags): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const rule of RETENTION_RULES) {
    const text = flags[`keep${rule[0]?.toUpperCase()}${rule.slice(1)}` as keyof PruneFlags];
    if (text === undefined || typeof text !== 'string') continue;
    if (!/^\s*\d+\s*$/.test(text))
      throw new UsageError(
        `${flagOf(rule)} must be a whole number from 0 to ${MAX_RULE_COUNT}, not ${JSON.stringify(text)}`,
      );
    policy[rule] = Number(text);
  }
  return policy;
}

export function formatPruneReport(report: PruneReport): string {
  const rules = RETENTION_RULES.map((rule) => `${rule} ${report.policy[rule]}`).join(', ');
  const lines = [
    `${report.dryRun ? 'Dry run: would prune' : 'Pruned'} ${report.instance} in ${report.store} (keep ${rules})`,
  ];
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
