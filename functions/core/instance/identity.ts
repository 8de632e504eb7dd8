/**
 * How n8n objects are told apart across instances, where ids differ: who owns them (their project)
 * and the names of what they sit in. The kinds' natural keys are built from these.
 */
import type {
  CredentialMeta,
  DataTable,
  Folder,
  Project,
  ProjectMember,
  Variable,
  Workflow,
} from '../n8n-types.js';

/** The owning share of a workflow or credential: n8n's role names end in `:owner` (`workflow:owner`, `credential:owner`). */
export function isOwnerRole(role: string): boolean {
  return role.endsWith(':owner');
}

/** The owning project of a workflow, credential, data table or variable, by the API's conventions. */
export function owningProjectId(
  object: Workflow | CredentialMeta | DataTable | Variable,
): string | undefined {
  if ('nodes' in object) {
    const shares = (object as Workflow).shared ?? [];
    return (shares.find((s) => isOwnerRole(s.role)) ?? shares[0])?.projectId;
  }
  if ('type' in object && 'shared' in object && Array.isArray(object.shared)) {
    const shares = (object as CredentialMeta).shared ?? [];
    return (shares.find((s) => isOwnerRole(s.role)) ?? shares[0])?.id;
  }
  if ('columns' in object) return (object as DataTable).projectId;
  if ('key' in object) return (object as Variable).project?.id ?? undefined;
  return undefined;
}

/** The owner of a personal project among its members. */
export function personalOwner(members: readonly ProjectMember[] | undefined): ProjectMember | undefined {
  return members?.find((m) => m.role === 'project:personalOwner') ?? members?.[0];
}

/** What a project is across instances: a team project by name, a personal one by its owner's e-mail. */
export function projectKey(project: Project, members: ProjectMember[] | undefined): string {
  if (project.type === 'personal') {
    const owner = personalOwner(members);
    return owner ? `personal:${owner.email.toLowerCase()}` : `personal:${project.name}`;
  }
  return `team:${project.name}`;
}

/** Id → name tables of one instance, the vocabulary a workflow's references are translated into. */
export interface InstanceNames {
  workflows: Map<string, string>;
  credentials: Map<string, string>;
  dataTables: Map<string, string>;
  /** project id → projectKey() */
  projects: Map<string, string>;
  /** folder id → "Parent/Child" */
  folders: Map<string, string>;
}

export function emptyInstanceNames(): InstanceNames {
  return {
    workflows: new Map(),
    credentials: new Map(),
    dataTables: new Map(),
    projects: new Map(),
    folders: new Map(),
  };
}

/** Folder id → path ("Parent/Child") from a flat list. */
export function folderPaths(folders: Iterable<Folder>): Map<string, string> {
  const byId = new Map<string, Folder>();
  for (const folder of folders) byId.set(folder.id, folder);
  const paths = new Map<string, string>();
  const pathOf = (id: string, depth: number): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const folder = byId.get(id);
    if (!folder) return `(unknown folder ${id})`;
    // A cycle in folder parents would be n8n's bug; stop rather than recurse forever.
    const parent = folder.parentFolderId && depth < 64 ? `${pathOf(folder.parentFolderId, depth + 1)}/` : '';
    const path = `${parent}${folder.name}`;
    paths.set(id, path);
    return path;
  };
  for (const id of byId.keys()) pathOf(id, 0);
  return paths;
}
