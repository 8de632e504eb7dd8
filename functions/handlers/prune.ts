import { checkRetentionPolicy } from '../core/retention/policy.js';
import { type PruneReport, runPrune } from '../core/retention/prune.js';
import { compose } from './compose.js';
import { parseAtEdge, pruneEventSchema } from './events.js';

/**
 * Scheduled prune of one instance's archives: event {"instance", "keep": {last?, daily?, weekly?,
 * monthly?}, "dryRun"?} from EventBridge Scheduler. Deletes are delete markers (versioned bucket).
 */
export async function handler(event: unknown): Promise<PruneReport> {
  const { instance, keep, dryRun } = parseAtEdge(pruneEventSchema, event, 'prune event');
  const policy = checkRetentionPolicy(keep, (rule) => `keep.${rule}`);
  const c = compose(process.env);
  // Only a configured instance's archives: a name like "prod/2026" would reach into prod's.
  c.configured(instance);
  const { store, logger, openReader, clock } = c;
  const report = await runPrune({ store, openReader, clock }, { instance, policy, dryRun: dryRun === true });
  logger.info('prune finished', {
    instance,
    dryRun: report.dryRun,
    kept: report.kept.length,
    deleted: report.deleted.length,
    newestVerified: report.newestVerified,
    failedVerification: report.failedVerification,
    heldByObjectLock: report.kept.filter((k) => k.keptBy.includes('object-lock')).length,
    heldByRestore: report.kept.filter((k) => k.keptBy.includes('restore')).length,
  });
  return report;
}
