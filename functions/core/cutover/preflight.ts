/**
 * Preflight: reads both instances and writes nothing to either. The source's n8n version against
 * the target's (an older target is refused), the scopes both keys need for the steps that follow,
 * the workflows the freeze will unpublish, and the plan: the source backed up (the archive the copy
 * then restores) and that archive planned against the target as a dry run with publishing on, so
 * the webhook paths the target's published workflows already hold are named before any write.
 */
import { compareN8nVersions, parseN8nVersion } from '../instance/version.js';
import type { Workflow } from '../n8n-types.js';
import type { RestorePlan } from '../restore/types.js';
import { cutoverIntoItself, lacksNodeTypes } from './errors.js';
import { normalizeUrl } from './journal.js';
import { backupSource, restoreInto } from './passes.js';
import { holdsOwnTrigger, publishedWebhooks } from './published-graph.js';
import type { CutoverDeps, CutoverInstance, CutoverOptions, PreflightReport } from './types.js';

/** What the source's key must do: list and read, unpublish (freeze), publish again (rollback). */
const SOURCE_SCOPES = ['workflow:list', 'workflow:read', 'workflow:deactivate', 'workflow:activate'];
/** The target's key publishes (the switch) and unpublishes (the rollback); the restore checks the rest. */
const TARGET_SCOPES = ['workflow:activate', 'workflow:deactivate'];
/** Warnings of the plan that would leave a workflow unpublished on the target: refused before writing. */
const REFUSED_WARNINGS = new Set(['webhook-path-taken', 'webhook-claimed-twice']);

export async function preflight(deps: CutoverDeps, options: CutoverOptions): Promise<PreflightReport> {
  if (normalizeUrl(deps.source.baseUrl) === normalizeUrl(deps.target.baseUrl))
    throw cutoverIntoItself(deps.source.baseUrl);
  const refusals: string[] = [];
  const notes: string[] = [];
  const [sourceVersion, targetVersion] = await Promise.all([
    versionOf(deps.source, 'source', notes),
    versionOf(deps.target, 'target', notes),
  ]);
  const older = olderTarget(sourceVersion, targetVersion);
  if (older) refusals.push(older);
  refusals.push(...(await missingScopes(deps.source, 'source', SOURCE_SCOPES, notes)));
  refusals.push(...(await missingScopes(deps.target, 'target', TARGET_SCOPES, notes)));
  const toFreeze = await activeWorkflows(deps.source);
  const backup = await backupSource(deps, options.instance);
  const planStarted = deps.clock.now().getTime();
  const run = await restoreInto(deps, backup.location, {
    workflowWrite: { activate: true, ...(options.keepWorkflowIds ? { keepWorkflowIds: true } : {}) },
    run: { dryRun: true },
  });
  const warnings = run.plan.warnings;
  for (const warning of warnings) if (REFUSED_WARNINGS.has(warning.code)) refusals.push(warning.message);
  refusals.push(...unpublishable(run.plan, toFreeze));
  return {
    sourceVersion,
    targetVersion,
    refusals,
    warnings: warnings.filter((w) => !REFUSED_WARNINGS.has(w.code)),
    notes,
    toFreeze,
    plan: countsOf(run.plan),
    archive: backup.location,
    backupMs: backup.ms,
    // The delta is a backup and a restore planned the same way, then its writes and the publishes.
    freezeFloorMs: backup.ms + (deps.clock.now().getTime() - planStarted),
  };
}

async function versionOf(api: CutoverInstance, side: string, notes: string[]): Promise<string | null> {
  const answer = await api.n8nVersion();
  if (answer.version !== null) return answer.version;
  notes.push(`the ${side}'s n8n version is unknown (${answer.reason}): not compared`);
  return null;
}

function olderTarget(source: string | null, target: string | null): string | undefined {
  const s = source === null ? undefined : parseN8nVersion(source);
  const t = target === null ? undefined : parseN8nVersion(target);
  if (!s || !t || compareN8nVersions(t, s) >= 0) return undefined;
  return `the target runs n8n ${target}, older than the source's ${source}: upgrade the target first`;
}

async function missingScopes(
  api: CutoverInstance,
  side: string,
  needed: readonly string[],
  notes: string[],
): Promise<string[]> {
  const scopes = await api.discoverScopes();
  if (scopes === undefined) {
    notes.push(`the ${side} does not say its key's scopes (GET /discover): not checked before writing`);
    return [];
  }
  if (side === 'source' && !scopes.includes('execution:list'))
    notes.push("the source's key lacks execution:list: the freeze cannot wait for running executions");
  return needed
    .filter((scope) => !scopes.includes(scope))
    .map((scope) => `the ${side}'s API key lacks the scope ${scope}`);
}

/** The source's published workflows, those with a trigger of their own first (the freeze's order). */
export async function activeWorkflows(api: CutoverInstance): Promise<PreflightReport['toFreeze']> {
  const found: PreflightReport['toFreeze'] = [];
  for await (const workflow of api.listWorkflows({ excludePinnedData: true }))
    if (isRunning(workflow))
      found.push({
        id: workflow.id,
        name: workflow.name,
        triggers: holdsOwnTrigger(workflow),
        webhooks: publishedWebhooks(workflow),
      });
  return found.sort((a, b) => Number(b.triggers) - Number(a.triggers));
}

export function isRunning(workflow: Workflow): boolean {
  return workflow.active === true && workflow.isArchived !== true;
}

/** A workflow the source runs that the target could not publish (node types it lacks): the switch would fail, the source frozen. */
function unpublishable(plan: RestorePlan, toFreeze: PreflightReport['toFreeze']): string[] {
  const lacking = plan.missingNodeTypes ?? {};
  return toFreeze
    .filter((w) => (lacking[w.id] ?? []).length > 0)
    .map((w) => lacksNodeTypes(w.name, lacking[w.id] ?? []));
}

function countsOf(plan: RestorePlan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of plan.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  return counts;
}
