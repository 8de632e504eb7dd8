/**
 * Every option of a prune, at either edge, declared once: `n8n-ark prune`'s flags and --help, and
 * the prune Lambda's event (whose counts come as one `keep` object, as cdk.json's `retention`).
 */
import { z } from 'zod';
import { instanceName } from '../instance/name.js';
import type { OptionTable } from '../options/table.js';
import { onOff, textOption } from '../options/values.js';
import { MAX_RULE_COUNT, RETENTION_RULES, type RetentionRule } from './policy.js';

const countProblem = (issue: { input?: unknown }) =>
  `must be a whole number from 0 to ${MAX_RULE_COUNT}, not ${JSON.stringify(String(issue.input))}`;

/** A rule's count as typed: digits are a number, anything else stays text for the refusal to quote. */
const countText = (value: string): number | string => (/^\s*\d+\s*$/.test(value) ? Number(value) : value);

/** A whole count; the policy check bounds it (`checkRetentionPolicy`). */
const count = z.number({ error: countProblem }).int({ error: countProblem }).min(0, { error: countProblem });

const ruleFlag = (help: string) =>
  ({ schema: count, flag: { value: '<n>', fromText: countText }, help }) as const;

export const PRUNE_OPTIONS = {
  instance: {
    schema: instanceName,
    event: { schema: instanceName, required: true },
    flag: { value: '<name>', required: true },
    help: 'whose archives to prune',
  },
  store: textOption('<dir|s3://bucket/prefix>', 'where archives are kept', './n8n-ark-backups'),
  keepLast: ruleFlag('keep the n newest archives'),
  keepDaily: ruleFlag('keep the newest archive of each of the n most recent days that have one'),
  keepWeekly: ruleFlag('the same for ISO weeks'),
  keepMonthly: ruleFlag('the same for months'),
  dryRun: { schema: onOff, event: true, help: 'decide and print, delete nothing' },
} as const satisfies OptionTable;

/** The flag (or event field) of each rule's count. */
export const KEEP_OPTION = {
  last: 'keepLast',
  daily: 'keepDaily',
  weekly: 'keepWeekly',
  monthly: 'keepMonthly',
} as const satisfies Record<RetentionRule, keyof typeof PRUNE_OPTIONS>;

/** The event's `keep`: how many periods each rule keeps, as cdk.json's `retention` says. */
export const keepEventSchema = z.strictObject(
  Object.fromEntries(RETENTION_RULES.map((rule) => [rule, z.number().int().min(0).optional()])) as Record<
    RetentionRule,
    z.ZodOptional<z.ZodNumber>
  >,
);
