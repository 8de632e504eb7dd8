/**
 * Publishes what was active; a workflow n8n will not activate (a stub credential, no trigger) is
 * reported, not fatal. n8n 2.41 refuses to publish a workflow whose sub-workflows are unpublished,
 * so publishing runs in levels: callees first, then their callers.
 */
import type { ApplyContext } from '../kind.js';
import { isFatal, messageOf } from '../shared/failure-policy.js';
import { eachRestoredWorkflow, type RestoredWorkflow } from './each-restored.js';
import { notPublished } from './errors.js';
import { describeNodeTypeKey, nodeTypesStillMissing } from './node-type-check.js';
import { restoredWorkflowFacts } from './planned.js';

type Candidate = Omit<RestoredWorkflow, 'targetId'>;

export async function activateWorkflows(ctx: ApplyContext): Promise<void> {
  if (ctx.options.workflowWrite?.activate === false) return;
  // One an earlier round wrote is published now only if that round did not publish.
  const wanted = ({ entry, facts }: Candidate) =>
    !facts.archived &&
    (entry.restoredEarlier
      ? facts.active && ctx.plan.activatedEarlier === false
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
    const stubs = publish && ctx.ledger.state.credentialsAwaitingSecrets.length > 0;
    ctx.ledger.warn({
      code: publish ? 'activation-failed' : 'deactivation-failed',
      resource: 'workflows',
      workflow: { id: entry.sourceId, name: entry.name },
      message: `workflow "${entry.name}" could not be ${publish ? 'activated' : 'deactivated'}: ${messageOf(error)}${
        stubs ? ' (its credentials may still be stubs waiting for their secrets)' : ''
      }`,
    });
  }
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
