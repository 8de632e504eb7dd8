/**
 * Webhook collisions, named before anything is written (so `--dry-run` shows them). n8n registers a
 * method and path for one published workflow: publishing another on them is refused (409), so a
 * workflow the restore publishes cannot run where a published workflow of the target, other than
 * its own counterpart, holds one of its webhooks. Two published workflows of the target that claim
 * the same webhook are named too: n8n published both (two publishes at once) but only one receives
 * the calls.
 */
import type { PlanContext, PlanEntry, RestorePlan } from '../kind.js';
import { webhookClaimedTwice, webhookCollision } from './errors.js';
import type { WorkflowSummary } from './summary.js';

interface Holder {
  id: string;
  name: string;
  /** A workflow of this restore (by its archive name), not one of the target. */
  restored?: boolean;
}

export function planWebhookCollisions(ctx: PlanContext, plan: RestorePlan): void {
  const summaries = new Map(ctx.source.workflows.map((w) => [w.id, w]));
  const entries = plan.entries.filter((e) => e.resource === 'workflows');
  const holders = targetHolders(ctx, plan);
  // What the target holds after the restore: its overwritten workflows hold what the archive's do.
  for (const entry of entries)
    if (entry.action === 'update' && entry.targetId)
      for (const list of holders.values()) drop(list, entry.targetId);
  for (const entry of entries) {
    const summary = summaries.get(entry.sourceId);
    if (!summary?.webhooks || !publishes(ctx, plan, entry, summary)) continue;
    const own = entry.targetId;
    for (const webhook of summary.webhooks) {
      const list = holders.get(webhook) ?? [];
      const other = list.find((holder) => holder.id !== own);
      if (other) plan.warnings.push(webhookCollision(entry, webhook, other));
      else
        list.push({ id: own ?? `new:${entry.sourceId}`, name: entry.renameTo ?? entry.name, restored: true });
      holders.set(webhook, list);
    }
  }
}

/** Whether the restore publishes this workflow (as the activation step will decide). */
function publishes(ctx: PlanContext, plan: RestorePlan, entry: PlanEntry, summary: WorkflowSummary): boolean {
  if (!summary.active || summary.archived || ctx.options.workflowWrite?.activate === false) return false;
  if (entry.restoredEarlier) return plan.activatedEarlier === false;
  return entry.action === 'create' || entry.action === 'update' || entry.publishWaiting === true;
}

/** The target's published workflows by webhook, each claimed twice named once. */
function targetHolders(ctx: PlanContext, plan: RestorePlan): Map<string, Holder[]> {
  const holders = new Map<string, Holder[]>();
  for (const workflow of ctx.target.workflows)
    for (const webhook of workflow.webhooks ?? [])
      holders.set(webhook, [...(holders.get(webhook) ?? []), { id: workflow.id, name: workflow.name }]);
  for (const [webhook, list] of holders)
    if (list.length > 1) plan.warnings.push(webhookClaimedTwice(webhook, list));
  return holders;
}

function drop(list: Holder[], id: string): void {
  const at = list.findIndex((holder) => holder.id === id);
  if (at >= 0) list.splice(at, 1);
}
