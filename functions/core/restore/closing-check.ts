/**
 * The closing check: after the last step, the target is read once and every object the plan wrote
 * or matched must be there, under the name the plan gave it, and in the state it said: a kind with
 * more to say judges its objects from the same read (workflows: published or not, the published
 * version the archive's, its webhooks registered). A restore is complete only when nothing is
 * missing; what is missing is named by kind and name, marked failed in the ledger (so a re-run
 * writes it again) and makes the run exit non-zero.
 */
import { EVERY_KIND, kindOf, type RestoreResource } from '../kinds/index.js';
import type { ApplyContext, Kind } from '../kinds/kind.js';
import type { ClosingJudge } from '../kinds/shared/closing-judge.js';
import { identityOf } from '../kinds/shared/identity.js';
import type { N8nApi } from '../ports.js';
import type { RestoreLedger } from './ledger.js';
import type { PlanEntry, RestorePlan } from './types.js';

/**
 * What the check found. `missing`: not in the target (or not under its name); `not-running`: there,
 * but not running as the plan said (not published, a webhook not registered); `differs`: there,
 * but other than the plan wrote (another published version, published when it must not be).
 */
export interface MissingObject {
  resource: RestoreResource;
  sourceId: string;
  name: string;
  why: string;
  finding: 'missing' | 'renamed' | 'not-running' | 'differs';
}

/** Target id → name, per kind, as the target lists them now. */
type Present = Map<RestoreResource, Map<string, string>>;

export async function closingCheck(ctx: ApplyContext, ledger: RestoreLedger): Promise<MissingObject[]> {
  const { plan, api } = ctx;
  const judges = new Map<RestoreResource, ClosingJudge>();
  for (const kind of EVERY_KIND) {
    const judge = kind.judgeRestored?.(ctx);
    if (judge) judges.set(kind.resource as RestoreResource, judge);
  }
  const present = await readPresent(plan, api, ledger, judges);
  const missing: MissingObject[] = [];
  for (const entry of plan.entries) {
    const written = entry.action === 'create' || entry.action === 'update';
    if (
      written &&
      !ledger.hasFailed(entry.resource, entry.sourceId) &&
      !ledger.targetId(entry.resource, entry.sourceId)
    ) {
      missing.push({
        ...describe(entry),
        why: 'the restore recorded no target id for it',
        finding: 'missing',
      });
      continue;
    }
    const expected = expectedOf(entry, ledger);
    if (!expected) continue;
    const names = present.get(entry.resource);
    if (!names) continue;
    const name = names.get(expected.targetId);
    if (name === undefined)
      missing.push({
        ...describe(entry),
        why: `${expected.targetId} is not in the target`,
        finding: 'missing',
      });
    else if (expected.name !== undefined && name !== expected.name)
      missing.push({
        ...describe(entry),
        why: `${expected.targetId} is named "${name}" in the target`,
        finding: 'renamed',
      });
  }
  const named = new Set(missing.map((m) => `${m.resource}:${m.sourceId}`));
  for (const [resource, judge] of judges) {
    if (!present.has(resource)) continue;
    for (const { entry, why, finding } of await judge.finish())
      if (!named.has(`${resource}:${entry.sourceId}`)) missing.push({ ...describe(entry), why, finding });
  }
  return missing;
}

function describe(entry: PlanEntry): Pick<MissingObject, 'resource' | 'sourceId' | 'name'> {
  return { resource: entry.resource, sourceId: entry.sourceId, name: entry.renameTo ?? entry.name };
}

/** The target id the entry must have now, and the name it must carry (where its kind compares names). */
function expectedOf(
  entry: PlanEntry,
  ledger: RestoreLedger,
): { targetId: string; name?: string } | undefined {
  if (entry.action === 'conflict' || ledger.hasFailed(entry.resource, entry.sourceId)) return undefined;
  const targetId = ledger.targetId(entry.resource, entry.sourceId);
  if (!targetId) return undefined;
  const written = entry.action === 'create' || entry.action === 'update';
  const named = kindOf(entry.resource).closingCheckNames === true;
  return { targetId, ...(written && named ? { name: entry.renameTo ?? entry.name } : {}) };
}

/**
 * Target id → name of every kind the plan has entries of and the target could list when planned,
 * streamed (only ids and names are kept, never 10,000 workflow bodies at once; a kind's judge sees
 * each record as it passes). A kind listed per project is read in the projects its objects went to.
 */
async function readPresent(
  plan: RestorePlan,
  api: N8nApi,
  ledger: RestoreLedger,
  judges: ReadonlyMap<RestoreResource, ClosingJudge>,
): Promise<Present> {
  const present: Present = new Map();
  for (const kind of EVERY_KIND) {
    const resource = kind.resource as RestoreResource;
    if (!kind.restored || plan.target[resource] === false) continue;
    const entries = plan.entries.filter((e) => e.resource === resource);
    if (entries.length === 0) continue;
    const names = new Map<string, string>();
    const judge = judges.get(resource);
    for await (const record of listingOf(kind, api, entries, ledger)) {
      const identity = identityOf(record);
      if (identity) names.set(identity.id, identity.name);
      judge?.see(record);
    }
    present.set(resource, names);
  }
  return present;
}

async function* listingOf(
  kind: Kind,
  api: N8nApi,
  entries: readonly PlanEntry[],
  ledger: RestoreLedger,
): AsyncGenerator<unknown> {
  if (kind.list) {
    yield* kind.list(api);
    return;
  }
  const projects = new Set<string>();
  for (const entry of entries) {
    const projectId = entry.sourceProjectId && ledger.targetId('projects', entry.sourceProjectId);
    if (projectId) projects.add(projectId);
  }
  for (const projectId of projects) yield* kind.listInProject?.(api, projectId) ?? [];
}
