/**
 * The restore options both edges accept — CLI flags and the restore Lambda's event — validated by
 * one schema, so a policy, a resource or a limit is checked the same way wherever it comes from.
 * Problems name the option key (`onConflict`), never a CLI flag: each edge words the key its own way.
 */
import { z } from 'zod';
import { InvalidOptionError, UsageError } from '../errors.js';
import { RESTORE_RESOURCES, type RestoreResource } from '../kinds/index.js';
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  DATA_TABLE_ROWS_POLICIES,
  type DataTableRowsPolicy,
} from '../kinds/shared/conflict-policy.js';

export const MAX_ROW_BATCH_SIZE = 10_000;

const quoted = (value: unknown): string =>
  typeof value === 'number' && !Number.isFinite(value)
    ? String(value)
    : (JSON.stringify(value) ?? String(value));

const nonEmptyText = z
  .string({ error: (issue) => `must be a non-empty string, not ${quoted(issue.input)}` })
  .min(1, { error: 'must be a non-empty string' });

const flag = z.boolean({ error: (issue) => `must be true or false, not ${quoted(issue.input)}` });

const resourceList = RESTORE_RESOURCES.join(', ');

const rowBatchProblem = (issue: { input?: unknown }) =>
  `must be a whole number from 1 to ${MAX_ROW_BATCH_SIZE}, not ${quoted(issue.input)}`;

/** The option fields, each optional: an absent option takes the core's default. */
export const restoreOptionsSchema = z.object({
  onConflict: z
    .enum(CONFLICT_POLICIES, {
      error: (issue) => `must be one of ${CONFLICT_POLICIES.join(', ')}, not ${quoted(issue.input)}`,
    })
    .optional(),
  dataTableRows: z
    .enum(DATA_TABLE_ROWS_POLICIES, {
      error: (issue) => `must be one of ${DATA_TABLE_ROWS_POLICIES.join(', ')}, not ${quoted(issue.input)}`,
    })
    .optional(),
  only: z
    .array(
      z.enum(RESTORE_RESOURCES, {
        error: (issue) => `must list only ${resourceList}; ${quoted(issue.input)} is none of them`,
      }),
      { error: (issue) => `must be a list of ${resourceList}, not ${quoted(issue.input)}` },
    )
    .min(1, { error: `must name at least one of ${resourceList}` })
    .optional(),
  projectMap: z
    .record(z.string(), z.string(), {
      error: (issue) => `must map source project names to target project names, not ${quoted(issue.input)}`,
    })
    .superRefine((map, context) => {
      for (const [from, to] of Object.entries(map)) {
        if (!from.trim()) context.addIssue({ code: 'custom', message: 'maps a source project with no name' });
        else if (!to.trim())
          context.addIssue({
            code: 'custom',
            message: `maps ${JSON.stringify(from)} to a project with no name`,
          });
      }
    })
    .transform((map) => new Map(Object.entries(map)))
    .optional(),
  project: nonEmptyText.optional(),
  tag: nonEmptyText.optional(),
  workflow: nonEmptyText.optional(),
  keepWorkflowIds: flag.optional(),
  requireSameMinor: flag.optional(),
  installCommunityPackages: flag.optional(),
  unverifiedCommunityPackages: flag.optional(),
  activate: flag.optional(),
  dryRun: flag.optional(),
  rowBatchSize: z
    .number({ error: rowBatchProblem })
    .int({ error: rowBatchProblem })
    .min(1, { error: rowBatchProblem })
    .max(MAX_ROW_BATCH_SIZE, { error: rowBatchProblem })
    .optional(),
});

/** Restore options as the core takes them, validated. */
export interface RestoreOptionsInput {
  onConflict?: ConflictPolicy;
  dataTableRows?: DataTableRowsPolicy;
  only?: RestoreResource[];
  /** Source project name → target project name. */
  projectMap?: Map<string, string>;
  project?: string;
  tag?: string;
  workflow?: string;
  keepWorkflowIds?: boolean;
  requireSameMinor?: boolean;
  installCommunityPackages?: boolean;
  unverifiedCommunityPackages?: boolean;
  activate?: boolean;
  dryRun?: boolean;
  rowBatchSize?: number;
}

/**
 * Validates restore options given as plain data (`projectMap` as an object). Throws an
 * `InvalidOptionError` for the first bad option, naming its key; unknown keys are ignored (an
 * event carries other fields).
 */
export function parseRestoreOptions(input: unknown): RestoreOptionsInput {
  const parsed = restoreOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const option = issue?.path[0];
  if (issue === undefined || option === undefined)
    throw new UsageError(`restore options must be an object of option → value, not ${quoted(input)}`);
  throw new InvalidOptionError(String(option), issue.message);
}
