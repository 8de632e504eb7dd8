/**
 * Publishes what was active, and unpublishes what an overwrite made inactive. A workflow n8n will
 * not publish fails, named with n8n's reason (a webhook path another workflow holds, a stub
 * credential, a trigger that cannot start), so the restore ends incomplete and a re-run tries it
 * again. n8n 2.41 refuses to publish a workflow whose sub-workflows are unpublished, so publishing
 * runs in levels: callees first, then their callers.
 */
import { ConflictError } from '../../errors.js';
import type { ApplyContext } from '../kind.js';
import { isFatal, messageOf } from '../shared/failure-policy.js';
import { eachRestoredWorkflow, type RestoredWorkflow } from './each-restored.js';
import { notPublished, publishRefused, webhookTaken } from './errors.js';
import { describeNodeTypeKey, nodeTypesStillMissing } from './node-type-check.js';
import { restoredWorkflowFacts } from './planned.js';
import { publishedNodes } from './summary.js';
import { routeKey, webhookRoutes } from './webhooks.js';

type Candidate = Omit<RestoredWorkflow, 'targetId'>;

export async function activateWorkflows(ctx: ApplyContext): Promise<void> {
  if (ctx.options.workflowWrite?.activate === false) return;
  // One an earlier round wrote is published now only if that round did not publish; one the target
  // holds as the archive's, unpublished, is published (its earlier restore could not).
  const wanted = ({ entry, facts }: Candidate) =>
    !facts.archived &&
    (entry.restoredEarlier
      ? facts.active && ctx.plan.activatedEarlier === false
      : entry.publishWaiting
        ? facts.active
        : facts.active || (entry.action === 'update' && entry.targetActive === true));
  const candidates = (await restoredWorkflowFacts(ctx)).filter(wanted);
  const lacking = candidates.some(({ entry }) => ctx.plan.missingNodeTypes?.[entry.sourceId])
    ? await nodeTypesStillMissing(ctx.api, ctx.plan)
    : new Set<string>();
  const levels = activationLevels(candidates);
  const deepest = Math.max(0, ...levels.values());
  for (let level = 0; level <= deepest; level += 1) {
    await eachRestoredWorkflow(
      ctx,
      'activation',
      'activating it',
      (workflow) => publishOrUnpublish(ctx, workflow, lacking),
      (candidate) => wanted(candidate) && (levels.get(candidate.entry.sourceId) ?? 0) === level,
    );
  }
}

async function publishOrUnpublish(
  ctx: ApplyContext,
  { entry, facts, targetId }: RestoredWorkflow,
  lacking: ReadonlySet<string>,
): Promise<void> {
  const publish = facts.active;
  // Never published broken: n8n would refuse an unknown type, yet not an older version's node.
  const missing = publish
    ? (ctx.plan.missingNodeTypes?.[entry.sourceId] ?? []).filter((k) => lacking.has(k))
    : [];
  if (missing.length > 0) throw notPublished(missing.map(describeNodeTypeKey));
  try {
    if (publish) await ctx.api.publishWorkflow(targetId);
    else await ctx.api.unpublishWorkflow(targetId);
  } catch (error) {
    if (isFatal(error)) throw error;
    if (publish && isWebhookConflict(error)) {
      const taken = await holderOf(ctx, targetId, facts.runs?.webhooks ?? []);
      throw webhookTaken(taken, messageOf(error), error);
    }
    const stubs = publish && ctx.ledger.state.credentialsAwaitingSecrets.length > 0;
    throw publishRefused(publish, messageOf(error), stubs, error);
  }
}

/** n8n's 409 when a webhook path and method of the workflow is held by another published workflow. */
function isWebhookConflict(error: unknown): boolean {
  return error instanceof ConflictError && /conflict with one of the webhooks/i.test(error.message);
}

/**
 * Which of the workflow's webhooks a published workflow of the target holds now, and which one
 * (the target's published workflows read once per run, on the first conflict).
 */
async function holderOf(
  ctx: ApplyContext,
  targetId: string,
  webhooks: readonly string[],
): Promise<{ webhook: string; holder?: { id: string; name: string } } | undefined> {
  const holders = await ctx.memo('webhookHolders', () => publishedHolders(ctx));
  for (const webhook of webhooks) {
    const holder = (await holders).get(webhook)?.find((h) => h.id !== targetId);
    if (holder) return { webhook, holder };
  }
  return webhooks[0] === undefined ? undefined : { webhook: webhooks[0] };
}

async function publishedHolders(ctx: ApplyContext): Promise<Map<string, { id: string; name: string }[]>> {
  const holders = new Map<string, { id: string; name: string }[]>();
  for await (const workflow of ctx.api.listWorkflows({ excludePinnedData: true })) {
    if (workflow.active !== true) continue;
    for (const route of webhookRoutes(publishedNodes(workflow))) {
      const key = routeKey(route);
      holders.set(key, [...(holders.get(key) ?? []), { id: workflow.id, name: workflow.name }]);
    }
  }
  return holders;
}

/** Source id → how many sub-workflow calls deep it sits among the workflows to publish (0: calls none). */
function activationLevels(candidates: Candidate[]): Map<string, number> {
  const callees = new Map(candidates.map(({ entry, facts }) => [entry.sourceId, facts.calls]));
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (id: string): number => {
    const known = levels.get(id);
    if (known !== undefined) return known;
    // A call cycle cannot be ordered; n8n decides, and a failure is reported per workflow.
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const deps = (callees.get(id) ?? []).filter((callee) => callees.has(callee));
    const level = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(levelOf));
    visiting.delete(id);
    levels.set(id, level);
    return level;
  };
  for (const id of callees.keys()) levelOf(id);
  return levels;
}
