/**
 * Folders: a folder is its path ("Parent/Child") inside its project. Parents are planned and
 * created before their children. Folders of the API key owner's personal project cannot be
 * addressed through the API (its id is not known), so those are skipped.
 */
import { z } from 'zod';
import { folderPaths, type InstanceNames } from '../instance/identity.js';
import type { Folder } from '../n8n-types.js';
import type { N8nApi } from '../ports.js';
import type {
  ApplyContext,
  ArchiveReference,
  ContentNames,
  DiffRecord,
  Kind,
  Need,
  PlanContext,
} from './kind.js';
import { id, text } from './kind.js';
import { Adoption } from './shared/adoption.js';

declare module './shared/state.js' {
  interface SourceRecords {
    folders: Folder[];
  }
  interface TargetRecords {
    folders: Folder[] | undefined;
  }
}

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
function targetFoldersByKey(folders: readonly Folder[]): Map<string, string> {
  const keyed = new Map<string, string>();
  const projectOf = new Map(folders.map((f) => [f.id, f.projectId]));
  for (const [id, path] of folderPaths(folders)) keyed.set(folderKey(projectOf.get(id) ?? '', path), id);
  return keyed;
}

async function apply(ctx: ApplyContext): Promise<void> {
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
        ctx.resumed,
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

/** What an archived folder refers to: its parent (in the same entry) and its project. */
function references(folder: Folder): ArchiveReference[] {
  return [
    ...(folder.parentFolderId
      ? [
          {
            resource: 'folders',
            id: folder.parentFolderId,
            problem: `folder ${folder.id}'s parent ${folder.parentFolderId} is not in the archive`,
            always: true,
          },
        ]
      : []),
    {
      resource: 'projects',
      id: folder.projectId,
      problem: `folder ${folder.id}'s project ${folder.projectId} is not in the archive`,
    },
  ];
}

/** Keyed by the path in its project's natural key: the same folder in two instances where ids differ. */
function* indexForDiff(folders: readonly Folder[], names: InstanceNames): Iterable<DiffRecord> {
  names.folders = folderPaths(folders);
  for (const folder of folders) {
    const path = names.folders.get(folder.id) ?? folder.name;
    const project = names.projects.get(folder.projectId) ?? folder.projectId;
    yield { key: folderKey(project, path), id: folder.id, canonical: { path } };
  }
}

export const foldersKind = {
  resource: 'folders',
  restored: true,
  entries: {
    folders: {
      name: 'folders.ndjson',
      record: z.looseObject({ id, name: text, projectId: id, parentFolderId: z.string().nullish() }),
      references,
      // A folder is its path in its project: one name once under one parent.
      naturalKey: (folder: Folder) => ({
        key: `${folder.projectId}\n${folder.parentFolderId ?? ''}\n${folder.name}`,
        what: `folder name ${JSON.stringify(folder.name)} under ${folder.parentFolderId ? `folder ${folder.parentFolderId}` : `the top of project ${folder.projectId}`}`,
      }),
      parentOf: (folder: Folder) => folder.parentFolderId,
    },
  },
  listInProject: (api: N8nApi, projectId: string) => api.listFolders(projectId),
  restoreScopes: ['folder:list', 'folder:create'],
  selection: {
    chosenWithProject: (folder: Folder) => folder.projectId,
    needs: (folder: Folder): Need[] => [
      { resource: 'projects', id: folder.projectId, why: `owns folder "${folder.name}"` },
    ],
  },
  plan,
  steps: [{ name: 'folders', run: apply }],
  diff: { index: indexForDiff },
  contents: {
    names: (folders: readonly Folder[], names: InstanceNames) => {
      names.folders = folderPaths(folders);
    },
    projectOf: (folder: Folder) => folder.projectId,
    row: (folder: Folder, names: ContentNames) => ({
      id: folder.id,
      path: names.folder(folder.id) ?? folder.name,
      project: names.project(folder.projectId),
    }),
  },
} as const satisfies Kind<'folders', 'folders'>;
