/**
 * One side of a diff read into the small tables the comparison needs: every object under its
 * kind's natural key with its canonical record; workflows as digests (bodies stay streamed).
 */
import {
  emptyInstanceNames,
  folderPaths,
  type InstanceNames,
  owningProjectId,
} from '../instance/identity.js';
import { digestOf } from '../json.js';
import { credentialKey } from '../kinds/credentials/index.js';
import { dataTableKey } from '../kinds/data-tables/index.js';
import { folderKey } from '../kinds/folders.js';
import type { SnapshotResource } from '../kinds/index.js';
import { projectNaturalKey } from '../kinds/projects.js';
import { tagKey } from '../kinds/tags.js';
import { userKey } from '../kinds/users.js';
import { variableKey } from '../kinds/variables.js';
import { WorkflowCanonicalizer } from '../kinds/workflows/canonical.js';
import { workflowKey } from '../kinds/workflows/index.js';
import type { Folder, Json, Workflow } from '../n8n-types.js';
import type { InstanceSnapshot } from './snapshot.js';

export interface SideIndex {
  names: InstanceNames;
  unavailable: Map<SnapshotResource, string>;
  /** Canonical records per resource except workflows, by key. */
  records: Map<SnapshotResource, Map<string, Json>>;
  /** Data tables: key → table id (rows are compared by streaming). */
  tableIds: Map<string, string>;
  /** Workflows: key → digest of the canonical form. */
  workflowDigests: Map<string, string>;
}

type Add = (key: string, value: Json) => string;

export async function indexSide(side: InstanceSnapshot): Promise<SideIndex> {
  const index: SideIndex = {
    names: emptyInstanceNames(),
    unavailable: await side.unavailable(),
    records: new Map(),
    tableIds: new Map(),
    workflowDigests: new Map(),
  };
  const keyed = (resource: SnapshotResource): Add => {
    const map = new Map<string, Json>();
    index.records.set(resource, map);
    return (key, value) => {
      const unique = uniqueKey(map, key);
      map.set(unique, value);
      return unique;
    };
  };
  await indexPeople(side, index, keyed('users'), keyed('projects'));
  await indexFolders(side, index, keyed('folders'));
  await indexTagsAndVariables(side, index, keyed('tags'), keyed('variables'));
  await indexCredentialsAndTables(side, index, keyed('credentials'), keyed('dataTables'));
  await indexWorkflows(side, index);
  return index;
}

async function indexPeople(
  side: InstanceSnapshot,
  index: SideIndex,
  addUser: Add,
  addProject: Add,
): Promise<void> {
  for await (const user of side.users()) {
    addUser(userKey(user), {
      email: user.email.toLowerCase(),
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      role: user.role ?? null,
    });
  }
  for await (const project of side.projects()) {
    const key = projectNaturalKey(project);
    index.names.projects.set(project.id, key);
    addProject(key, {
      type: project.type,
      name: project.type === 'team' ? project.name : null,
      description: project.description ?? null,
      members: (project.members ?? []).map((m) => `${m.email.toLowerCase()} ${m.role}`).sort(),
    });
  }
}

async function indexFolders(side: InstanceSnapshot, index: SideIndex, addFolder: Add): Promise<void> {
  const folders: Folder[] = [];
  for await (const folder of side.folders()) folders.push(folder);
  index.names.folders = folderPaths(folders);
  for (const folder of folders) {
    const path = index.names.folders.get(folder.id) ?? folder.name;
    addFolder(folderKey(index.names.projects.get(folder.projectId) ?? folder.projectId, path), { path });
  }
}

async function indexTagsAndVariables(
  side: InstanceSnapshot,
  index: SideIndex,
  addTag: Add,
  addVariable: Add,
): Promise<void> {
  for await (const tag of side.tags()) addTag(tagKey(tag), { name: tag.name });
  for await (const variable of side.variables()) {
    const project = variable.project?.id
      ? (index.names.projects.get(variable.project.id) ?? variable.project.name)
      : 'global';
    addVariable(variableKey(project, variable.key), { key: variable.key, value: variable.value, project });
  }
}

async function indexCredentialsAndTables(
  side: InstanceSnapshot,
  index: SideIndex,
  addCredential: Add,
  addTable: Add,
): Promise<void> {
  const projectOf = (id: string | undefined) => (id ? (index.names.projects.get(id) ?? null) : null);
  for await (const credential of side.credentials()) {
    index.names.credentials.set(credential.id, credential.name);
    addCredential(credentialKey(credential), {
      name: credential.name,
      type: credential.type,
      project: projectOf(owningProjectId(credential)),
    });
  }
  for await (const table of side.dataTables()) {
    index.names.dataTables.set(table.id, table.name);
    const project = projectOf(table.projectId);
    const key = addTable(dataTableKey(project ?? '-', table.name), {
      name: table.name,
      project,
      columns: [...table.columns].sort((x, y) => x.index - y.index).map((c) => `${c.name}:${c.type}`),
    });
    index.tableIds.set(key, table.id);
  }
}

/** Workflow names first (a workflow may call one later in the listing), then their digests: two reads. */
async function indexWorkflows(side: InstanceSnapshot, index: SideIndex): Promise<void> {
  const keys: string[] = [];
  const seen = new Map<string, Json>();
  for await (const workflow of side.workflows()) {
    index.names.workflows.set(workflow.id, workflow.name);
    const key = uniqueKey(seen, keyOfWorkflow(workflow, index.names));
    seen.set(key, null);
    keys.push(key);
  }
  const canonicalizer = new WorkflowCanonicalizer(index.names);
  let position = 0;
  for await (const workflow of side.workflows()) {
    const key = keys[position] ?? keyOfWorkflow(workflow, index.names);
    position += 1;
    index.workflowDigests.set(key, digestOf(canonicalizer.canonical(workflow)));
  }
}

export function keyOfWorkflow(workflow: Workflow, names: InstanceNames): string {
  const projectId = owningProjectId(workflow);
  return workflowKey((projectId && names.projects.get(projectId)) || '-', workflow.name);
}

/** Same-named objects (n8n allows them) are told apart by their order: "name #2". */
export function uniqueKey(map: Map<string, unknown>, key: string): string {
  if (!map.has(key)) return key;
  let n = 2;
  while (map.has(`${key} #${n}`)) n += 1;
  return `${key} #${n}`;
}
