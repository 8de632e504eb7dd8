/**
 * Keeping workflow ids: workflows are created under their archive ids through n8n's package import
 * (n8n 2.24+), in batches per target project. Only identity travels in the package; the content
 * (nodes, references, pinned data, description) follows in the references pass by the same PUT a
 * restore with new ids uses, so both paths write the same bodies and pass the same checks.
 */
import { AmbiguousWriteError } from '../../errors.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { isFatal } from '../shared/failure-policy.js';

/** Workflows per n8n package import: small packages keep one refusal cheap to retry one by one. */
const IMPORT_BATCH = 100;

export async function importWorkflowsKeepingIds(ctx: ApplyContext): Promise<void> {
  let todo = ctx
    .entries('workflows')
    .filter(
      (e) => e.action === 'create' && !ctx.hasFailed(e) && !ctx.ledger.targetId('workflows', e.sourceId),
    )
    .filter((e) => !ctx.failIfProjectMissing('workflows', e));
  if (todo.length === 0) return;
  if (ctx.resumed) {
    // An import whose answer was lost before the ledger saw it: the workflow is there under its own id.
    const present = await presentIds(ctx);
    for (const entry of todo.filter((e) => present.has(e.sourceId)))
      recordImported(ctx, entry, entry.sourceId);
    todo = todo.filter((e) => !present.has(e.sourceId));
  }
  const byProject = new Map<string, PlanEntry[]>();
  for (const entry of todo) {
    const project = ctx.targetProject(entry) ?? '';
    byProject.set(project, [...(byProject.get(project) ?? []), entry]);
  }
  for (const [project, entries] of byProject) {
    for (let i = 0; i < entries.length; i += IMPORT_BATCH) {
      if (ctx.deadlineNear()) break;
      await importBatch(ctx, entries.slice(i, i + IMPORT_BATCH), project || undefined);
      await ctx.ledger.checkpoint();
    }
  }
  ctx.checkDeadline();
}

/** One package import; when n8n refuses the batch, each workflow is tried alone so one bad apple fails alone. */
async function importBatch(
  ctx: ApplyContext,
  batch: PlanEntry[],
  projectId: string | undefined,
  lookedUp = false,
): Promise<void> {
  const shells = batch.map((e) => ({ id: e.sourceId, name: e.renameTo ?? e.name }));
  let imported: { sourceId: string; id: string }[];
  try {
    imported = await ctx.api.importWorkflows(shells, { ...(projectId ? { projectId } : {}), keepIds: true });
  } catch (error) {
    if (isFatal(error)) throw error;
    if (error instanceof AmbiguousWriteError && !lookedUp) {
      // The answer never came: what n8n imported is there under its own id; the rest is sent again.
      const present = await presentIds(ctx);
      for (const entry of batch.filter((e) => present.has(e.sourceId)))
        recordImported(ctx, entry, entry.sourceId);
      const rest = batch.filter((e) => !present.has(e.sourceId));
      if (rest.length > 0) await importBatch(ctx, rest, projectId, true);
      return;
    }
    const [only] = batch;
    if (batch.length > 1 || !only) {
      for (const entry of batch) await importBatch(ctx, [entry], projectId);
    } else {
      ctx.fail('workflows', only, 'creating it under its own id (n8n package import)', error);
      ctx.deps.progress.advance('workflows');
    }
    return;
  }
  const ids = new Map(imported.map((r) => [r.sourceId, r.id]));
  for (const entry of batch) {
    const id = ids.get(entry.sourceId);
    if (id === undefined) {
      ctx.fail('workflows', entry, 'importing it', new Error("n8n's import answer does not list it"));
      ctx.deps.progress.advance('workflows');
    } else recordImported(ctx, entry, id);
  }
}

async function presentIds(ctx: ApplyContext): Promise<Set<string>> {
  const present = new Set<string>();
  for await (const w of ctx.api.listWorkflows({ excludePinnedData: true })) present.add(w.id);
  return present;
}

function recordImported(ctx: ApplyContext, entry: PlanEntry, id: string): void {
  ctx.ledger.recordId('workflows', entry.sourceId, id);
  ctx.ledger.count('created', 'workflows');
  ctx.deps.progress.advance('workflows');
  if (id !== entry.sourceId) {
    ctx.ledger.warn({
      code: 'id-not-kept',
      resource: 'workflows',
      workflow: { id: entry.sourceId, name: entry.name },
      message: `workflow "${entry.name}" was created as ${id}, not under its archive id ${entry.sourceId}; references to it are rewritten`,
    });
  }
}
