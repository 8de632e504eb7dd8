/**
 * What each Lambda is invoked with, validated at the edge. The options an event shares with the
 * CLI come from the option tables in the core (`RESTORE_OPTIONS`, `BACKUP_OPTIONS`,
 * `PRUNE_OPTIONS`), so both edges check them alike; the rest is the state machines' bookkeeping.
 */
import { z } from 'zod';
import { BACKUP_OPTIONS } from '../core/backup/options.js';
import { UsageError } from '../core/errors.js';
import { instanceName } from '../core/instance/name.js';
import { eventShape } from '../core/options/table.js';
import { RESTORE_GROUPS, RESTORE_OPTIONS, restoreOptionsSchema } from '../core/restore/options.js';
import { keepEventSchema, PRUNE_OPTIONS } from '../core/retention/options.js';

/** Validates an event (or the environment) at the edge: one clear line naming every bad field. */
export function parseAtEdge<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new UsageError(`invalid ${what}: ${problems}`);
}

/**
 * `history`: newest saved versions kept per workflow (default 10, 0 keeps none); `shrinkAlarmShare`:
 * the workflow-drop share past which the backup counts as shrunk (default 0.2); both from the CDK config.
 */
export const backupEventSchema = z.object({
  ...eventShape(BACKUP_OPTIONS),
  /**
   * From the backup state machine (`$.slicing`): the execution a slice belongs to and when it
   * started. Without it, one invocation does the whole backup (as the backup function did before
   * it was sliced).
   */
  slicing: z.object({ execution: z.string().min(1), startedAt: z.iso.datetime().optional() }).optional(),
  /** How often a slice saves where it stands, in seconds (default 60): a slice that dies loses no more. */
  checkpointSeconds: z.number().int().min(1).max(900).optional(),
  /** The machine gave up on the backup (the failure it caught): the slice abandons it. */
  abandon: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

const archiveRef = z.object({ key: z.string().min(1), versionId: z.string().optional() });

/** The state machine execution a slice belongs to (`$$.Execution.Id`): its retry takes over its lock. */
const execution = z.string().min(1).optional();

const restoreEventShape = {
  archive: archiveRef,
  target: instanceName,
  ...eventShape(RESTORE_OPTIONS, RESTORE_GROUPS),
  execution,
};

/**
 * The state machine's `request`: which archive, which instance, and the restore options every edge
 * accepts (`projectMap` comes out as a Map). Strict: a misspelt option (`activation: false`) would
 * otherwise be dropped and the restore publish every workflow.
 */
export const restoreEventSchema = z.strictObject(restoreEventShape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; a restore event takes ${Object.keys(restoreEventShape).join(', ')}`
      : undefined,
});

export const verifyEventSchema = z.union([
  z.object({
    archive: archiveRef,
    /**
     * After a restore (the state machine passes its request): its closing check again, against this
     * instance (the restore's own plan says what it wrote, so `only` asks nothing more).
     */
    target: instanceName.optional(),
    only: restoreOptionsSchema.shape.only,
  }),
  z.object({ instance: instanceName }),
]);

/**
 * The prune schedule's event: whose archives, and how many periods each rule keeps (the same
 * counts as `n8n-ark prune --keep-*`; the core refuses a policy that keeps nothing).
 */
export const pruneEventSchema = z.object({ ...eventShape(PRUNE_OPTIONS), keep: keepEventSchema });

const stepTimes = z.array(z.object({ step: z.string(), kind: z.string().optional(), ms: z.number() }));
const drillState = z.object({
  instance: instanceName,
  archive: archiveRef,
  startedAt: z.iso.datetime(),
  ledgerKey: z.string().min(1),
  wiped: z.record(z.string(), z.number()).optional(),
});

/** How the wipe stood after the slice before: objects left, and slices in a row that deleted none. */
const wipeState = z.object({
  done: z.boolean(),
  left: z.number().int().min(0),
  stalled: z.number().int().min(0).optional(),
});

/**
 * The drill state machine's calls (lib/drill-machine.ts): prepare, wipe slices until the scratch is
 * empty, restore slices until done, compare-and-report slices until the report is written.
 */
export const drillEventSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('prepare'), instance: instanceName }),
  z.object({ mode: z.literal('wipe'), drill: drillState, wipe: wipeState, execution }),
  z.object({ mode: z.literal('slice'), drill: drillState, steps: stepTimes, execution }),
  z.object({
    mode: z.literal('finish'),
    drill: drillState,
    slice: z.object({ done: z.boolean(), steps: stepTimes, outcome: z.looseObject({ done: z.boolean() }) }),
    execution,
  }),
]);

export type DrillEvent = z.infer<typeof drillEventSchema>;
