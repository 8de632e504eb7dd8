/**
 * The cutover's own options, declared once: `n8n-ark cutover`'s flags and --help and the table in
 * docs/CUTOVER.md come from `CUTOVER_OPTIONS`. The two instances, the store and the output are the
 * command's (functions/cli/commands/cutover/options.ts).
 */
import { z } from 'zod';
import type { OptionTable } from '../options/table.js';
import { quoted } from '../options/table.js';
import { numberOrText, onOff, textOption } from '../options/values.js';

export const MAX_DRAIN_SECONDS = 3600;

const drainProblem = (issue: { input?: unknown }) =>
  `must be a whole number of seconds from 0 to ${MAX_DRAIN_SECONDS}, not ${quoted(issue.input)}`;

const drainSeconds = z
  .number({ error: drainProblem })
  .int({ error: drainProblem })
  .min(0, { error: drainProblem })
  .max(MAX_DRAIN_SECONDS, { error: drainProblem });

export const CUTOVER_OPTIONS = {
  dryRun: {
    schema: onOff,
    help: 'the preflight only: versions, scopes, webhook paths taken on the target, what would be frozen and published; writes nothing to either instance',
  },
  rollback: {
    schema: onOff,
    help: 'put the source back from the journal: unpublish on the target what the cutover published, publish again on the source exactly the versions that ran',
  },
  keepWorkflowIds: {
    schema: onOff,
    help: "create workflows on the target under the source's ids (n8n 2.24+), so webhook callers and links naming an id keep working",
  },
  drainTimeout: {
    schema: drainSeconds,
    flag: { value: '<seconds>', default: '60', fromText: numberOrText },
    help: 'how long the freeze waits for the source to finish running executions of frozen workflows (the source stays frozen past it; exit 6)',
  },
  journal: textOption(
    '<file>',
    "where the cutover's journal is kept (default: in the store, named after both hosts)",
  ),
} as const satisfies OptionTable;
