/**
 * Every option of a restore, at either edge, declared once: the CLI's flags (restore and migrate)
 * and --help, the restore Lambda's event, the options the core receives (grouped by what they
 * decide) and the table in docs/RESTORE.md all come from `RESTORE_OPTIONS`. A policy, a resource or
 * a limit is therefore checked the same way wherever it comes from.
 */
import { z } from 'zod';
import { RESTORE_RESOURCES } from '../kinds/index.js';
import { CONFLICT_POLICIES, DATA_TABLE_ROWS_POLICIES } from '../kinds/shared/conflict-policy.js';
import {
  type GroupedOptions,
  groupedOnly,
  groupOptions,
  type OptionTable,
  type OptionValues,
  parseOptions,
  quoted,
  valuesSchema,
} from '../options/table.js';
import {
  commaList,
  minutesText,
  nonEmptyText,
  numberOrText,
  onOff,
  pairs,
  text,
  textOption,
} from '../options/values.js';
import type { RestoreOptions, RunControls } from './types.js';

export const MAX_ROW_BATCH_SIZE = 10_000;

/** What restore options decide, in the order an event and the docs list them. */
export const RESTORE_GROUPS = [
  'conflicts',
  'placement',
  'selection',
  'workflowWrite',
  'preflight',
  'run',
] as const;
export type RestoreGroup = (typeof RESTORE_GROUPS)[number];

const resourceList = RESTORE_RESOURCES.join(', ');

const rowBatchProblem = (issue: { input?: unknown }) =>
  `must be a whole number from 1 to ${MAX_ROW_BATCH_SIZE}, not ${quoted(issue.input)}`;

const policy = <P extends string>(policies: readonly P[]) =>
  z.enum(policies, { error: (issue) => `must be one of ${policies.join(', ')}, not ${quoted(issue.input)}` });

const resources = z
  .array(
    z.enum(RESTORE_RESOURCES, {
      error: (issue) => `must list only ${resourceList}; ${quoted(issue.input)} is none of them`,
    }),
    { error: (issue) => `must be a list of ${resourceList}, not ${quoted(issue.input)}` },
  )
  .min(1, { error: `must name at least one of ${resourceList}` });

/**
 * Source project name → target project name, given as an object, taken as a Map. Its entries are
 * read as they are (a project named `__proto__` is a name, not lost to the object's prototype).
 */
const projectMap = z
  .preprocess(
    (value) => (isPlainRecord(value) ? new Map(Object.entries(value)) : value),
    z.map(z.string(), z.string(), {
      error: (issue) => `must map source project names to target project names, not ${quoted(issue.input)}`,
    }),
  )
  .superRefine((map, context) => {
    for (const [from, to] of map) {
      if (!from.trim()) context.addIssue({ code: 'custom', message: 'maps a source project with no name' });
      else if (!to.trim())
        context.addIssue({
          code: 'custom',
          message: `maps ${JSON.stringify(from)} to a project with no name`,
        });
    }
  })
  .transform((map): ReadonlyMap<string, string> => map);

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

const rowBatchSize = z
  .number({ error: rowBatchProblem })
  .int({ error: rowBatchProblem })
  .min(1, { error: rowBatchProblem })
  .max(MAX_ROW_BATCH_SIZE, { error: rowBatchProblem });

const SECRETS_PREFIX = /^sm:\/\/[^*?]*[^/*?]$/;
const SECRETS_PREFIX_PROBLEM =
  'must be sm://<prefix> naming Secrets Manager secrets <prefix>/<credential id>';

/**
 * A Lambda cannot read a file: its credential secrets come from Secrets Manager only, under a
 * prefix without wildcards.
 */
const secretsPrefix = z
  .string({ error: SECRETS_PREFIX_PROBLEM })
  .regex(SECRETS_PREFIX, { error: `${SECRETS_PREFIX_PROBLEM} (no wildcard)` });

export const RESTORE_OPTIONS = {
  dryRun: {
    group: 'run',
    schema: onOff,
    event: true,
    help: 'print the plan (create / update / skip / conflict per object) and write nothing',
  },
  onConflict: {
    group: 'conflicts',
    schema: policy(CONFLICT_POLICIES),
    event: true,
    flag: { value: '<policy>', default: 'skip' },
    help: `what to do with an object the target already has: ${CONFLICT_POLICIES.join('|')} (only what the selection chose: what it pulls in is created when missing, never overwritten)`,
  },
  dataTableRows: {
    group: 'conflicts',
    schema: policy(DATA_TABLE_ROWS_POLICIES),
    event: true,
    flag: { value: '<policy>', default: 'skip' },
    help: `the rows of a chosen data table the target already has: ${DATA_TABLE_ROWS_POLICIES.join('|')} (keep them, add the archive's, or delete them and write the archive's); new tables always get their rows`,
  },
  projectMap: {
    group: 'placement',
    schema: projectMap,
    event: true,
    flag: { value: '<"Source=Target">', repeatable: true, fromText: pairs('Source project=Target project') },
    help: "put a source project's contents into a target project of another name (repeatable)",
  },
  credentialSecrets: {
    schema: text,
    event: { schema: secretsPrefix, note: 'sm://<prefix> only: a Lambda reads no file' },
    flag: { value: '<file>' },
    help: 'JSON file mapping credential id or name to its data, or sm://<prefix> for Secrets Manager secrets <prefix>/<credential id>, to create real credentials instead of stubs',
  },
  only: {
    group: 'selection',
    schema: resources,
    event: true,
    flag: { value: '<resources>', fromText: commaList },
    help: `restore only these (comma-separated): ${RESTORE_RESOURCES.join(',')}`,
  },
  project: {
    group: 'selection',
    schema: nonEmptyText,
    event: true,
    flag: { value: '<name>' },
    help: 'restore only this source project, and what it needs',
  },
  tag: {
    group: 'selection',
    schema: nonEmptyText,
    event: true,
    flag: { value: '<name>' },
    help: 'restore only workflows with this tag, and what they need',
  },
  workflow: {
    group: 'selection',
    schema: nonEmptyText,
    event: true,
    flag: { value: '<glob>' },
    help: 'restore only workflows whose name matches (* and ?), and what they need',
  },
  ledger: textOption('<file>', 'where the restore ledger is kept (default: beside the archive)'),
  rowBatchSize: {
    group: 'run',
    schema: rowBatchSize,
    event: true,
    flag: { value: '<n>', default: '5000', fromText: numberOrText },
    help: 'data-table rows per insert request (each request also stays within 4 MiB)',
  },
  timeout: {
    schema: minutesText,
    flag: { value: '<minutes>' },
    help: 'stop the restore cleanly at the next object after this many minutes (exit 6; the ledger keeps what was done: run the same command again to continue)',
  },
  activate: {
    group: 'workflowWrite',
    schema: onOff,
    event: true,
    flag: { negated: true },
    help: 'leave workflows inactive even if they were active in the archive',
  },
  keepWorkflowIds: {
    group: 'workflowWrite',
    schema: onOff,
    event: true,
    help: "create workflows under their archive ids (n8n 2.24+, through n8n's package import), so links, webhook callers and logs naming a workflow id keep working; for a disaster-recovery restore into an empty instance",
  },
  requireSameMinor: {
    group: 'preflight',
    schema: onOff,
    event: true,
    help: "refuse (exit 2, nothing written) unless the target runs the source's n8n major.minor, as both instances state it; without it an older target is only a warning",
  },
  installCommunityPackages: {
    group: 'preflight',
    schema: onOff,
    event: true,
    help: "install the community packages whose node types the target lacks, at the archive's versions, before writing anything (needs the communityPackage:install scope); without it the plan says what to install and workflows that use them are written but not published",
  },
  unverifiedCommunityPackages: {
    group: 'preflight',
    schema: onOff,
    event: true,
    help: "with --install-community-packages: install even packages missing from n8n's vetted list (which n8n reads online), from n8n's npm registry",
  },
} as const satisfies OptionTable<RestoreGroup>;

/** The options that reach the core. */
const CORE_OPTIONS = groupedOnly(RESTORE_OPTIONS);

/** The core's options as plain data (`projectMap` as an object), each optional: an absent option takes the core's default. */
export const restoreOptionsSchema = valuesSchema(CORE_OPTIONS);

/** Restore options as both edges give them, validated (`projectMap` as a Map). */
export type RestoreOptionsInput = OptionValues<typeof CORE_OPTIONS>;

/** Restore options as the core takes them: one object per group. */
export type GroupedRestoreOptions = GroupedOptions<typeof RESTORE_OPTIONS>;

/**
 * Validates restore options given as plain data (`projectMap` as an object). Throws an
 * `InvalidOptionError` for the first bad option, naming its key; unknown keys are ignored (an
 * event carries other fields).
 */
export function parseRestoreOptions(input: unknown): RestoreOptionsInput {
  return parseOptions(CORE_OPTIONS, input, 'restore options');
}

/** Validated options, grouped by what they decide, as `runRestore` takes them. */
export function groupRestoreOptions(values: RestoreOptionsInput): GroupedRestoreOptions {
  return groupOptions(CORE_OPTIONS, values);
}

/** The options with the run's controls the edge sets (its deadline) added to their `run` group. */
export function withRun(options: GroupedRestoreOptions, controls: RunControls): RestoreOptions {
  return { ...options, run: { ...options.run, ...controls } };
}
