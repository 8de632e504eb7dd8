/**
 * The fast path of a restore with new ids: workflows an n8n package carries exactly
 * (package-eligibility.ts) are created by POST /n8n-packages/import, up to 150 a call per target
 * project and folder, with the very body POST /workflows would send. Whatever a package does not
 * carry, n8n refuses in a package, or arrives while the path is closed, is left to the POST path
 * (create.ts), which runs next over what the ledger does not hold yet.
 *
 * A refused package is halved until the offender is alone, and the offender goes by POST. A package
 * whose answer was lost is reconciled by name in its project before anything is sent again, and the
 * POST path looks again before its first create, so a late import is adopted, not duplicated.
 */
import {
  AmbiguousWriteError,
  ConflictError,
  FeatureNotLicensedError,
  MissingScopeError,
  N8nApiError,
  NotFoundError,
} from '../../errors.js';
import type { Workflow } from '../../n8n-types.js';
import type { PackagedWorkflow } from '../../ports.js';
import type { ApplyContext } from '../kind.js';
import { type Adoption, AMBIGUOUS_ATTEMPTS } from '../shared/adoption.js';
import { isFatal, messageOf } from '../shared/failure-policy.js';
import { type PreparedCreate, prepareCreate } from './create-body.js';
import {
  PACKAGE_MAX_WORKFLOW_BYTES,
  PackageBatcher,
  packagedBytes,
  packagedWorkflow,
  packageRefusal,
} from './package-eligibility.js';
import { plannedWorkflows } from './planned.js';

interface Packaged {
  prepared: PreparedCreate;
  packaged: PackagedWorkflow;
}

interface PackageRun {
  open: boolean;
  /** An import answer was lost: the POST path must list the target again before creating. */
  lostAnswer: boolean;
}

/** Creates what packages carry; answers whether an import answer was lost (the caller lists again). */
export async function createByPackage(ctx: ApplyContext, adoption: Adoption<Workflow>): Promise<boolean> {
  const run: PackageRun = { open: await packagePathOpen(ctx), lostAnswer: false };
  if (!run.open) return false;
  const batcher = new PackageBatcher<Packaged>();
  for await (const { workflow, entry } of plannedWorkflows(ctx, ['create'])) {
    if (!run.open || ctx.deadlineNear()) break;
    if (ctx.ledger.targetId('workflows', entry.sourceId)) continue;
    if (ctx.failIfProjectMissing('workflows', entry)) continue;
    const prepared = prepareCreate(ctx, workflow, entry);
    const adopted = await adoption.take(prepared.key);
    if (adopted) {
      recordPackaged(ctx, prepared, adopted, false);
      continue;
    }
    if (packageRefusal(prepared.workflow, prepared.body, prepared.unresolved)) continue;
    const packaged = packagedWorkflow(entry.sourceId, prepared.body);
    const bytes = packagedBytes(packaged);
    if (bytes > PACKAGE_MAX_WORKFLOW_BYTES) continue;
    const group = `${prepared.projectId ?? ''}\u0000${prepared.folderId ?? ''}`;
    for (const ready of batcher.add(group, { prepared, packaged }, bytes))
      await sendPackage(ctx, run, adoption, ready.items);
  }
  for (const ready of batcher.drain()) await sendPackage(ctx, run, adoption, ready.items);
  return run.lostAnswer;
}

/**
 * The route exists (n8n 2.24+) and the key may use it. A key whose scopes cannot be read is tried:
 * its first refusal closes the path.
 */
async function packagePathOpen(ctx: ApplyContext): Promise<boolean> {
  if (!(await ctx.api.supportsWorkflowImport().catch(() => false))) {
    closePath(ctx, 'this n8n has no POST /n8n-packages/import (n8n 2.24 or later has it)');
    return false;
  }
  const scopes = await ctx.deps.capabilities?.discoverScopes().catch(() => undefined);
  if (scopes && !scopes.includes('workflow:import')) {
    closePath(ctx, 'the API key lacks the workflow:import scope');
    return false;
  }
  return true;
}

function closePath(ctx: ApplyContext, why: string): void {
  const note = `Workflows were created one POST /workflows each, not by n8n's package import (faster): ${why}.`;
  if (!ctx.plan.notes.includes(note)) ctx.plan.notes.push(note);
  ctx.deps.logger.info(note);
}

/**
 * One package import. Refused: halved until the offender is alone, which is left to POST. The route
 * refused as unlicensed or beyond the key's scopes: the path closes and the rest goes by POST.
 */
async function sendPackage(
  ctx: ApplyContext,
  run: PackageRun,
  adoption: Adoption<Workflow>,
  items: Packaged[],
  attempt = 1,
): Promise<void> {
  const [first] = items;
  if (!first || !run.open || ctx.deadlineNear()) return;
  const { projectId, folderId } = first.prepared;
  let imported: { sourceId: string; id: string }[];
  try {
    imported = await ctx.api.importWorkflows(
      items.map((i) => i.packaged),
      { ...(projectId ? { projectId } : {}), ...(folderId ? { folderId } : {}), keepIds: false },
    );
  } catch (error) {
    return refused(ctx, run, adoption, items, error, attempt);
  }
  const ids = new Map(imported.map((r) => [r.sourceId, r.id]));
  const unlisted = items.filter((item) => {
    const id = ids.get(item.packaged.id);
    if (id !== undefined) recordPackaged(ctx, item.prepared, id, !item.prepared.workflow.description);
    return id === undefined;
  });
  // n8n created the package all or nothing; one its answer leaves out is looked up like a lost answer.
  if (unlisted.length > 0) await reconcile(ctx, run, adoption, unlisted);
  await ctx.ledger.checkpoint();
}

/** A package n8n refused, or whose answer never came. */
async function refused(
  ctx: ApplyContext,
  run: PackageRun,
  adoption: Adoption<Workflow>,
  items: Packaged[],
  error: unknown,
  attempt: number,
): Promise<void> {
  if (error instanceof MissingScopeError || error instanceof FeatureNotLicensedError) {
    run.open = false;
    closePath(ctx, `n8n refused it (${messageOf(error)})`);
    return;
  }
  // The import may have run (all or part), or be running still: what it created is adopted, and
  // the rest sent again as a package, which n8n refuses (409, by lineage) for any the first one
  // created meanwhile; after AMBIGUOUS_ATTEMPTS sends what is left goes by POST.
  if (error instanceof AmbiguousWriteError) {
    const rest = await reconcile(ctx, run, adoption, items);
    if (attempt < AMBIGUOUS_ATTEMPTS) await sendPackage(ctx, run, adoption, rest, attempt + 1);
    return;
  }
  if (isFatal(error)) throw error;
  // A missing project or folder fails every workflow of the package alike: POST says which.
  if (error instanceof NotFoundError) return;
  // A conflict or a server error may follow an import that created part of the package.
  const mayHaveWritten =
    error instanceof ConflictError || (error instanceof N8nApiError && error.status >= 500);
  const rest = mayHaveWritten ? await reconcile(ctx, run, adoption, items) : items;
  if (rest.length <= 1) return;
  const half = Math.ceil(rest.length / 2);
  await sendPackage(ctx, run, adoption, rest.slice(0, half));
  await sendPackage(ctx, run, adoption, rest.slice(half));
}

/**
 * What an import that may have run created, found by name in its project and adopted; answers the
 * rest. The POST path lists the target again before its first create (a late import is adopted).
 */
async function reconcile(
  ctx: ApplyContext,
  run: PackageRun,
  adoption: Adoption<Workflow>,
  items: Packaged[],
): Promise<Packaged[]> {
  run.lostAnswer = true;
  await adoption.refresh();
  const rest: Packaged[] = [];
  for (const item of items) {
    const id = await adoption.take(item.prepared.key);
    // Its body is written again by the references pass: the adopted one may not be what was sent.
    if (id) recordPackaged(ctx, item.prepared, id, false);
    else rest.push(item);
  }
  await ctx.ledger.checkpoint();
  return rest;
}

function recordPackaged(ctx: ApplyContext, prepared: PreparedCreate, id: string, finalBody: boolean): void {
  const { sourceId } = prepared.entry;
  ctx.ledger.recordId('workflows', sourceId, id);
  ctx.ledger.count('created', 'workflows');
  ctx.deps.progress.advance('workflows');
  if (finalBody) ctx.ledger.mark('workflowReferences', sourceId);
}
