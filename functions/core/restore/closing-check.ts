/**
 * The closing check: after the last step, the target is read once and every object the plan wrote
 * or matched must be there, under the name the plan gave it. A restore is complete only when
 * nothing is missing; what is missing is named by kind and name, marked failed in the ledger (so a
 * re-run writes it again) and makes the run exit non-zero.
 */
import { collect } from '../json.js';
import type { RestoreResource } from '../kinds/index.js';
import type { N8nApi } from '../ports.js';
import type { RestoreLedger } from './ledger.js';
import type { PlanEntry, RestorePlan } from './types.js';

export interface MissingObject {
  resource: RestoreResource;
  sourceId: string;
  name: string;
  why: string;
}

/** Target id → name, per kind, as the target lists them now. */
type Present = Map<RestoreResource, Map<string, string>>;

export async function closingCheck(
  plan: RestorePlan,
  api: N8nApi,
  ledger: RestoreLedger,
): Promise<MissingObject[]> {
  const present = await readPresent(plan, api, ledger);
  const missing: MissingObject[] = [];
  for (const entry of plan.entries) {
    const written = entry.action === 'create' || entry.action === 'update';
    if (
      written &&
      !ledger.hasFailed(entry.resource, entry.sourceId) &&
      !ledger.targetId(entry.resource, entry.sourceId)
    ) {
      missing.push({ ...describe(entry), why: 'the restore recorded no target id for it' });
      continue;
    }
    const expected = expectedOf(entry, ledger);
    if (!expected) continue;
    const names = present.get(entry.resource);
    if (!names) continue;
    const name = names.get(expected.targetId);
    if (name === undefined)
      missing.push({ ...describe(entry), why: `${expected.targetId} is not in the target` });
    else if (expected.name !== undefined && name !== expected.name)
      missing.push({ ...describe(entry), why: `${expected.targetId} is named "${name}" in the target` });
  }
  return missing;
}

function describe(entry: PlanEntry): Omit<MissingObject, 'why'> {
  return { resource: entry.resource, sourceId: entry.sourceId, name: entry.renameTo ?? entry.name };
}

/** The target id the entry must have now, and the name it must carry (where names are compared). */
function expectedOf(
  entry: PlanEntry,
  ledger: RestoreLedger,
): { targetId: string; name?: string } | undefined {
  if (entry.action === 'conflict' || ledger.hasFailed(entry.resource, entry.sourceId)) return undefined;
  const targetId = ledger.targetId(entry.resource, entry.sourceId);
  if (!targetId) return undefined;
  const written = entry.action === 'create' || entry.action === 'update';
  const named =
    entry.resource === 'workflows' || entry.resource === 'tags' || entry.resource === 'dataTables';
  return { targetId, ...(written && named ? { name: entry.renameTo ?? entry.name } : {}) };
}

async function readPresent(plan: RestorePlan, api: N8nApi, ledger: RestoreLedger): Promise<Present> {
  const present: Present = new Map();
  const byId = <T extends { id: string }>(items: T[], name: (item: T) => string) =>
    new Map(items.map((item) => [item.id, name(item)]));
  const wrote = (resource: RestoreResource) => plan.entries.some((e) => e.resource === resource);
  if (wrote('workflows')) {
    // Streamed: only id and name are kept, never 10,000 workflow bodies at once.
    const workflows = new Map<string, string>();
    for await (const w of api.listWorkflows({ excludePinnedData: true })) workflows.set(w.id, w.name);
    present.set('workflows', workflows);
  }
  if (wrote('tags') && plan.target.tags)
    present.set(
      'tags',
      byId(await collect(api.listTags()), (t) => t.name),
    );
  if (wrote('dataTables') && plan.target.dataTables)
    present.set(
      'dataTables',
      byId(await collect(api.listDataTables()), (t) => t.name),
    );
  if (wrote('variables') && plan.target.variables)
    present.set(
      'variables',
      byId(await collect(api.listVariables()), (v) => v.key),
    );
  if (wrote('credentials'))
    present.set(
      'credentials',
      byId(await collect(api.listCredentials()), (c) => c.name),
    );
  if (wrote('projects') && plan.target.projects)
    present.set(
      'projects',
      byId(await collect(api.listProjects()), (p) => p.name),
    );
  if (wrote('folders') && plan.target.folders)
    present.set('folders', await foldersPresent(plan, api, ledger));
  return present;
}

/** Folders are listed per project: the projects the restored folders went to. */
async function foldersPresent(
  plan: RestorePlan,
  api: N8nApi,
  ledger: RestoreLedger,
): Promise<Map<string, string>> {
  const projects = new Set<string>();
  for (const entry of plan.entries) {
    if (entry.resource !== 'folders' || !entry.sourceProjectId) continue;
    const projectId = ledger.targetId('projects', entry.sourceProjectId);
    if (projectId) projects.add(projectId);
  }
  const names = new Map<string, string>();
  for (const projectId of projects)
    for (const folder of await collect(api.listFolders(projectId))) names.set(folder.id, folder.name);
  return names;
}
