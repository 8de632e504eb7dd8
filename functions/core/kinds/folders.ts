/**
 * Folders: a folder is its path ("Parent/Child") inside its project. Parents are planned and
 * created before their children. Folders of the API key owner's personal project cannot be
 * addressed through the API (its id is not known), so those are skipped.
 */
import { z } from 'zod';
import { folderPaths } from '../instance/identity.js';
import type { Folder } from '../n8n-types.js';
import type { ApplyContext, Kind, PlanContext } from './kind.js';
import { id, text } from './kind.js';
import { Adoption } from './shared/adoption.js';

/** The natural key: `<place> / <path>`. */
export function folderKey(place: string, path: string): string {
  return `${place} / ${path}`;
}

function plan(ctx: PlanContext): void {
  const folders = ctx.source.folders.filter((f) => ctx.isSelected('folders', f.id));
  if (folders.length === 0) return;
  if (!ctx.target.folders) {
    ctx.note(
      `The target cannot take folders (${ctx.target.unavailable.get('folders')}): workflows land at their project's top level.`,
    );
    for (const folder of folders)
      ctx.add({
        resource: 'folders',
        sourceId: folder.id,
        name: folder.name,
        action: 'skip',
        reason: 'target cannot take folders',
        sourceProjectId: folder.projectId,
      });
    return;
  }
  const sourcePaths = folderPaths(ctx.source.folders);
  const existing = targetFoldersByKey(ctx.target.folders);
  const depth = (f: Folder) => (sourcePaths.get(f.id) ?? '').split('/').length;
  for (const folder of [...folders].sort((a, b) => depth(a) - depth(b))) {
    const path = sourcePaths.get(folder.id) ?? folder.name;
    const base = {
      resource: 'folders' as const,
      sourceId: folder.id,
      name: path,
      sourceProjectId: folder.projectId,
      ...ctx.pulledInBy('folders', folder.id),
    };
    if (ctx.scopeOf(folder.projectId).kind === 'personal') {
      ctx.add({
        ...base,
        action: 'skip',
        reason:
          "its project lands in the API key owner's personal project, whose folders the API cannot address",
      });
      continue;
    }
    const scope = ctx.scopeOf(folder.projectId);
    const match = scope.kind === 'existing' ? existing.get(folderKey(scope.id, path)) : undefined;
    if (match) ctx.add({ ...base, action: 'skip', targetId: match, reason: 'a folder at that path exists' });
    else ctx.add({ ...base, action: 'create', reason: 'not in the target' });
  }
}

/** Target folders by natural key; personal-project folders are never matched, so the place is the project id. */
function targetFoldersByKey(byProject: Map<string, Folder[]>): Map<string, string> {
  const keyed = new Map<string, string>();
  for (const [projectId, list] of byProject)
    for (const [id, path] of folderPaths(list)) keyed.set(folderKey(projectId, path), id);
  return keyed;
}

async function apply(ctx: ApplyContext, resumed: boolean): Promise<void> {
  const entries = ctx.entries('folders').filter((e) => e.action === 'create');
  if (entries.length === 0) return;
  const sources = await ctx.sourceRecords<Folder>('folders');
  const planned = new Set(ctx.entries('folders').map((e) => e.sourceId));
  const adoptions = new Map<string, Adoption<Folder>>();
  const adoptionIn = (projectId: string) => {
    let adoption = adoptions.get(projectId);
    if (!adoption) {
      const list = () => ctx.api.listFolders(projectId);
      adoption = new Adoption(
        ctx.ledger,
        'folders',
        { list, keys: (f) => [`${f.parentFolderId ?? ''}/${f.name}`] },
        resumed,
      );
      adoptions.set(projectId, adoption);
    }
    return adoption;
  };
  for (const entry of entries) {
    if (ctx.ledger.isMarked('folders', entry.sourceId) || ctx.ledger.targetId('folders', entry.sourceId))
      continue;
    ctx.checkDeadline();
    const folder = sources.get(entry.sourceId);
    const projectId = ctx.targetProject(entry);
    if (!folder || !projectId) {
      ctx.fail('folders', entry, 'placing the folder', new Error('its project was not restored'));
      continue;
    }
    // Its parent was created first (the plan orders by depth), so the path is told by parent and name.
    const parentFolderId = folder.parentFolderId
      ? (ctx.ledger.targetId('folders', folder.parentFolderId) ?? null)
      : null;
    if (folder.parentFolderId && !parentFolderId && planned.has(folder.parentFolderId)) {
      ctx.fail('folders', entry, 'placing the folder', new Error('its parent folder could not be restored'));
      continue;
    }
    await ctx.attempt('folders', entry, 'creating the folder', async () => {
      const id = await adoptionIn(projectId).createOrAdopt(
        `${parentFolderId ?? ''}/${folder.name}`,
        async () => (await ctx.api.createFolder(projectId, { name: folder.name, parentFolderId })).id,
      );
      ctx.ledger.recordId('folders', entry.sourceId, id);
      ctx.ledger.count('created', 'folders');
    });
    await ctx.ledger.checkpoint();
  }
}

export const foldersKind = {
  resource: 'folders',
  restored: true,
  records: {
    folders: z.looseObject({ id, name: text, projectId: id, parentFolderId: z.string().nullish() }),
  },
  restoreScopes: ['folder:list', 'folder:create'],
  plan,
  steps: [{ name: 'folders', run: apply }],
} as const satisfies Kind<'folders', 'folders'>;
