/**
 * The API double's in-memory instance. Route handlers and seeders go through the same methods, so a
 * seeded instance looks exactly like one built through the API (ids, timestamps, personal projects,
 * version ids). Tests may read the maps directly; write through the methods so the invariants hold.
 */

import { isDeepStrictEqual } from 'node:util';
import type { Json, JsonObject } from '../../functions/core/n8n-types.js';
import { createRandom, nanoId, type Random, uuid } from './prng.js';
import type { CommunityPackageState } from './routes/community-packages.js';
import { WebhookRegistry } from './webhooks.js';

export type DataTableColumnType = 'string' | 'number' | 'boolean' | 'date';
export type GlobalRole = 'global:owner' | 'global:admin' | 'global:member';

export interface StoredUser {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: GlobalRole;
  isPending: boolean;
  mfaEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface StoredProjectMember {
  userId: string;
  role: string;
}

export interface StoredProject {
  id: string;
  name: string;
  type: 'personal' | 'team';
  icon: JsonObject | null;
  description: string | null;
  creatorId: string | null;
  createdAt: string;
  updatedAt: string;
  members: StoredProjectMember[];
}

export interface StoredFolder {
  id: string;
  name: string;
  projectId: string;
  parentFolderId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredTag {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredVariable {
  id: string;
  key: string;
  value: string;
  type: 'string';
  projectId: string | null;
}

export interface StoredCredential {
  id: string;
  name: string;
  type: string;
  /** The secret fields. The API never returns them; tests may read them here. */
  data: JsonObject;
  projectId: string;
  isManaged: boolean;
  isGlobal: boolean;
  isResolvable: boolean;
  createdAt: string;
  updatedAt: string;
  sharedAt: string;
}

export interface StoredColumn {
  id: string;
  name: string;
  type: DataTableColumnType;
  index: number;
  createdAt: string;
  updatedAt: string;
}

export interface StoredRow {
  id: number;
  createdAt: string;
  updatedAt: string;
  /** One value per column name; null when unset. Dates are ISO strings with milliseconds. */
  values: Record<string, Json>;
}

export interface StoredDataTable {
  id: string;
  name: string;
  projectId: string;
  createdAt: string;
  updatedAt: string;
  columns: StoredColumn[];
  /** In id order: inserts append, ids never repeat (like an autoincrement column). */
  rows: StoredRow[];
  nextRowId: number;
}

export interface StoredPublishEvent {
  id: number;
  workflowId: string;
  versionId: string;
  event: 'activated' | 'deactivated';
  userId: string;
  createdAt: string;
}

export interface StoredWorkflowVersion {
  versionId: string;
  nodes: JsonObject[];
  connections: JsonObject;
  nodeGroups: Json[];
  authors: string;
  createdAt: string;
  updatedAt: string;
  publishHistory: StoredPublishEvent[];
}

/** One saved version (n8n's workflow_history row): what GET /workflows/{id}/history and /versions/{id} show. */
export interface StoredHistoryVersion {
  versionId: string;
  workflowId: string;
  nodes: JsonObject[];
  connections: JsonObject;
  nodeGroups: Json[];
  authors: string;
  name: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredWorkflow {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  activeVersionId: string | null;
  isArchived: boolean;
  versionId: string;
  versionCounter: number;
  triggerCount: number;
  nodes: JsonObject[];
  connections: JsonObject;
  nodeGroups: Json[];
  settings: JsonObject;
  staticData: JsonObject | null;
  pinData: JsonObject | null;
  meta: JsonObject | null;
  createdAt: string;
  updatedAt: string;
  /** The owning project (the `workflow:owner` share). */
  projectId: string;
  parentFolderId: string | null;
  /** The package id a package import created it from (n8n's lineage); absent otherwise. */
  sourceWorkflowId?: string | null;
  tagIds: string[];
  sharedAt: string;
  activeVersion: StoredWorkflowVersion | null;
  /** When it was last unpublished (ms since the epoch), for `unpublishSettleMs`. */
  unpublishedAt?: number;
}

/** What a workflow is made of (the write fields of POST/PUT /workflows, already validated). */
export interface WorkflowContent {
  name: string;
  nodes: JsonObject[];
  connections: JsonObject;
  settings: JsonObject;
  staticData?: JsonObject | null;
  pinData?: JsonObject | null;
  nodeGroups?: Json[];
  description?: string | null;
  meta?: JsonObject | null;
}

export interface DoubleStateOptions {
  /** Seed of the id generator: the same seed gives the same ids. Default: random. */
  idSeed?: number;
  /** Clock for createdAt/updatedAt. Default: the system clock. */
  now?: () => Date;
  /** The instance owner (the user every API key belongs to). */
  owner?: { email: string; firstName: string; lastName: string };
}

/** Node types n8n does not count as a way to start a published workflow (its STARTING_NODES). */
const MANUAL_TRIGGERS = new Set([
  'n8n-nodes-base.manualTrigger',
  '@n8n/n8n-nodes-langchain.manualChatTrigger',
]);
/** Triggers n8n does not count in `triggerCount`. */
const UNCOUNTED_TRIGGERS = new Set(['n8n-nodes-base.executeWorkflowTrigger', 'n8n-nodes-base.errorTrigger']);

/** Whether a node can start a published workflow: a trigger, poller or webhook node, not disabled. */
export function isTriggerNode(node: JsonObject): boolean {
  if (node.disabled === true || typeof node.type !== 'string') return false;
  if (MANUAL_TRIGGERS.has(node.type)) return false;
  return /trigger$/i.test(node.type) || /\.webhook$/.test(node.type);
}

export class DoubleState {
  readonly users = new Map<string, StoredUser>();
  readonly projects = new Map<string, StoredProject>();
  readonly folders = new Map<string, StoredFolder>();
  readonly tags = new Map<string, StoredTag>();
  readonly variables = new Map<string, StoredVariable>();
  readonly credentials = new Map<string, StoredCredential>();
  readonly dataTables = new Map<string, StoredDataTable>();
  readonly workflows = new Map<string, StoredWorkflow>();
  /** Each workflow's saved versions, oldest first (n8n lists them newest first). */
  readonly history = new Map<string, StoredHistoryVersion[]>();
  readonly owner: StoredUser;
  /**
   * Credential types this instance knows besides the built-in ones (credential-types.ts), e.g. a
   * test restoring a backup of a real instance adds the types it holds. Their data is not checked.
   */
  readonly extraCredentialTypes = new Set<string>();
  /**
   * n8n tears triggers down in the background: a DELETE right after an unpublish answers 409
   * "Workflow is still being unpublished" (measured). Set a window here to make the double do the
   * same; 0 (the default) deletes at once.
   */
  unpublishSettleMs = 0;
  /** Production webhooks of published workflows (./webhooks.ts); `webhooks.lagMs` models n8n's registration lag. */
  readonly webhooks = new WebhookRegistry();
  /** The version this double stands in for, as its package export states it (`sourceN8nVersion`). */
  n8nVersion = '2.41.1';
  /** Installed community packages, and what an unverified install can fetch (routes/community-packages.ts). */
  readonly community: CommunityPackageState = { communityPackages: [], npmRegistry: [] };
  readonly random: Random;
  private readonly clock: () => Date;
  private publishEvents = 0;
  private sortedWorkflowIds: { ids: string[]; mutation: number; size: number } | undefined;
  private mutation = 0;
  private readonly ownerProjectId: string;

  constructor(options: DoubleStateOptions = {}) {
    this.random = createRandom(options.idSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.clock = options.now ?? (() => new Date());
    const owner = options.owner ?? { email: 'owner@n8n-ark.test', firstName: 'Ark', lastName: 'Owner' };
    this.owner = this.createUser({ ...owner, role: 'global:owner' });
    this.ownerProjectId = this.personalProjectOf(this.owner.id).id;
  }

  now(): string {
    return this.clock().toISOString();
  }

  newId(): string {
    let id = nanoId(this.random);
    while (this.idTaken(id)) id = nanoId(this.random);
    return id;
  }

  newUuid(): string {
    return uuid(this.random);
  }

  private idTaken(id: string): boolean {
    return (
      this.workflows.has(id) ||
      this.projects.has(id) ||
      this.folders.has(id) ||
      this.tags.has(id) ||
      this.variables.has(id) ||
      this.credentials.has(id) ||
      this.dataTables.has(id)
    );
  }

  // ---- users and projects

  createUser(input: {
    email: string;
    firstName?: string | null;
    lastName?: string | null;
    role?: GlobalRole;
    isPending?: boolean;
  }): StoredUser {
    const now = this.now();
    const user: StoredUser = {
      id: this.newUuid(),
      email: input.email,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
      role: input.role ?? 'global:member',
      isPending: input.isPending ?? false,
      mfaEnabled: false,
      createdAt: now,
      updatedAt: now,
    };
    this.users.set(user.id, user);
    // Every user has a personal project, named the way n8n names it.
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
    const project: StoredProject = {
      id: this.newId(),
      name: name ? `${name} <${user.email}>` : `<${user.email}>`,
      type: 'personal',
      icon: null,
      description: null,
      creatorId: user.id,
      createdAt: now,
      updatedAt: now,
      members: [{ userId: user.id, role: 'project:personalOwner' }],
    };
    this.projects.set(project.id, project);
    return user;
  }

  personalProjectOf(userId: string): StoredProject {
    for (const project of this.projects.values()) {
      if (project.type === 'personal' && project.creatorId === userId) return project;
    }
    throw new Error(`the double has no personal project for user ${userId}`);
  }

  get ownerProject(): StoredProject {
    const project = this.projects.get(this.ownerProjectId);
    if (!project) throw new Error("the owner's personal project was deleted from the double's state");
    return project;
  }

  /** The API key's user. */
  get ownerId(): string {
    return this.owner.id;
  }

  /** The owner's personal project: where things land when no project is named. */
  get personalProjectId(): string {
    return this.ownerProjectId;
  }

  createTeamProject(name: string, creatorId = this.owner.id): StoredProject {
    const now = this.now();
    const project: StoredProject = {
      id: this.newId(),
      name,
      type: 'team',
      icon: null,
      description: null,
      creatorId,
      createdAt: now,
      updatedAt: now,
      members: [{ userId: creatorId, role: 'project:admin' }],
    };
    this.projects.set(project.id, project);
    return project;
  }

  setProjectMember(projectId: string, userId: string, role: string): void {
    const project = this.projects.get(projectId);
    if (!project) throw new Error(`no project ${projectId}`);
    const existing = project.members.find((m) => m.userId === userId);
    if (existing) existing.role = role;
    else project.members.push({ userId, role });
  }

  /** Deleting a project deletes what it owns, as n8n does without a transfer target. */
  deleteProject(projectId: string): void {
    this.projects.delete(projectId);
    for (const [id, workflow] of this.workflows)
      if (workflow.projectId === projectId) this.deleteWorkflow(id);
    for (const [id, credential] of this.credentials)
      if (credential.projectId === projectId) this.credentials.delete(id);
    for (const [id, table] of this.dataTables) if (table.projectId === projectId) this.dataTables.delete(id);
    for (const [id, folder] of this.folders) if (folder.projectId === projectId) this.folders.delete(id);
    for (const [id, variable] of this.variables)
      if (variable.projectId === projectId) this.variables.delete(id);
  }

  // ---- folders, tags, variables

  createFolder(input: { name: string; projectId: string; parentFolderId?: string | null }): StoredFolder {
    const now = this.now();
    const folder: StoredFolder = {
      id: this.newId(),
      name: input.name,
      projectId: input.projectId,
      parentFolderId: input.parentFolderId ?? null,
      createdAt: now,
      updatedAt: now,
    };
    this.folders.set(folder.id, folder);
    return folder;
  }

  createTag(name: string): StoredTag {
    const now = this.now();
    const tag: StoredTag = { id: this.newId(), name, createdAt: now, updatedAt: now };
    this.tags.set(tag.id, tag);
    return tag;
  }

  tagByName(name: string): StoredTag | undefined {
    for (const tag of this.tags.values()) if (tag.name === name) return tag;
    return undefined;
  }

  createVariable(input: { key: string; value: string; projectId?: string | null }): StoredVariable {
    const variable: StoredVariable = {
      id: this.newId(),
      key: input.key,
      value: input.value,
      type: 'string',
      projectId: input.projectId ?? null,
    };
    this.variables.set(variable.id, variable);
    return variable;
  }

  // ---- credentials

  createCredential(input: {
    id?: string;
    name: string;
    type: string;
    data?: JsonObject;
    projectId?: string;
    isResolvable?: boolean;
  }): StoredCredential {
    const now = this.now();
    const credential: StoredCredential = {
      id: input.id ?? this.newId(),
      name: input.name,
      type: input.type,
      data: input.data ?? {},
      projectId: input.projectId ?? this.ownerProject.id,
      isManaged: false,
      isGlobal: false,
      isResolvable: input.isResolvable ?? false,
      createdAt: now,
      updatedAt: now,
      sharedAt: now,
    };
    this.credentials.set(credential.id, credential);
    return credential;
  }

  // ---- data tables

  createDataTable(input: {
    name: string;
    projectId?: string;
    columns: { name: string; type: DataTableColumnType }[];
  }): StoredDataTable {
    const now = this.now();
    const table: StoredDataTable = {
      id: this.newId(),
      name: input.name,
      projectId: input.projectId ?? this.ownerProject.id,
      createdAt: now,
      updatedAt: now,
      columns: input.columns.map((column, index) => ({
        id: this.newId(),
        name: column.name,
        type: column.type,
        index,
        createdAt: now,
        updatedAt: now,
      })),
      rows: [],
      nextRowId: 1,
    };
    this.dataTables.set(table.id, table);
    return table;
  }

  /** Appends rows (values already checked against the columns); missing columns become null. */
  insertRows(table: StoredDataTable, rows: Record<string, Json>[]): StoredRow[] {
    const now = this.now();
    const inserted: StoredRow[] = [];
    for (const row of rows) {
      const values: Record<string, Json> = {};
      for (const column of table.columns) values[column.name] = row[column.name] ?? null;
      const stored: StoredRow = { id: table.nextRowId, createdAt: now, updatedAt: now, values };
      table.nextRowId += 1;
      table.rows.push(stored);
      inserted.push(stored);
    }
    table.updatedAt = now;
    return inserted;
  }

  // ---- workflows

  /** Workflow ids in the order n8n lists them (by id). */
  workflowIdsInListOrder(): string[] {
    const cache = this.sortedWorkflowIds;
    if (cache && cache.mutation === this.mutation && cache.size === this.workflows.size) return cache.ids;
    const ids = [...this.workflows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.sortedWorkflowIds = { ids, mutation: this.mutation, size: this.workflows.size };
    return ids;
  }

  createWorkflow(
    content: WorkflowContent,
    placement: { projectId?: string; parentFolderId?: string | null; id?: string } = {},
  ): StoredWorkflow {
    const now = this.now();
    const workflow: StoredWorkflow = {
      id: placement.id ?? this.newId(),
      name: content.name,
      description: content.description ?? null,
      active: false,
      activeVersionId: null,
      isArchived: false,
      versionId: this.newUuid(),
      versionCounter: 1,
      triggerCount: 0,
      nodes: this.withNodeIds(content.nodes),
      connections: content.connections,
      nodeGroups: content.nodeGroups ?? [],
      settings: content.settings,
      staticData: content.staticData ?? null,
      pinData: content.pinData ?? null,
      meta: content.meta ?? null,
      createdAt: now,
      updatedAt: now,
      projectId: placement.projectId ?? this.ownerProject.id,
      parentFolderId: placement.parentFolderId ?? null,
      tagIds: [],
      sharedAt: now,
      activeVersion: null,
    };
    this.workflows.set(workflow.id, workflow);
    this.saveVersion(workflow);
    this.mutation += 1;
    return workflow;
  }

  /** A PUT: new content and a new version; a published workflow is re-published unless told not to. */
  updateWorkflow(
    workflow: StoredWorkflow,
    content: WorkflowContent,
    options: { parentFolderId?: string | null; republish?: boolean } = {},
  ): void {
    // n8n saves a new version only when the graph changes (WorkflowService.update, measured).
    const graphChanged =
      !isDeepStrictEqual(content.nodes, workflow.nodes) ||
      !isDeepStrictEqual(content.connections, workflow.connections) ||
      (content.nodeGroups !== undefined && !isDeepStrictEqual(content.nodeGroups, workflow.nodeGroups));
    workflow.name = content.name;
    if (content.description !== undefined) workflow.description = content.description;
    workflow.nodes = this.withNodeIds(content.nodes);
    workflow.connections = content.connections;
    // n8n merges settings on update: keys the body leaves out are kept (measured).
    workflow.settings = { ...workflow.settings, ...content.settings };
    if (content.staticData !== undefined) workflow.staticData = content.staticData;
    if (content.pinData !== undefined) workflow.pinData = content.pinData;
    if (content.nodeGroups !== undefined) workflow.nodeGroups = content.nodeGroups;
    if (options.parentFolderId !== undefined) workflow.parentFolderId = options.parentFolderId;
    if (graphChanged) workflow.versionId = this.newUuid();
    workflow.versionCounter += 1;
    workflow.updatedAt = this.now();
    if (graphChanged) this.saveVersion(workflow);
    if (workflow.activeVersionId !== null && options.republish !== false) this.publishWorkflow(workflow);
  }

  publishWorkflow(workflow: StoredWorkflow): void {
    const now = this.now();
    const history = workflow.activeVersion?.publishHistory ?? [];
    const event: StoredPublishEvent = {
      id: ++this.publishEvents,
      workflowId: workflow.id,
      versionId: workflow.versionId,
      event: 'activated',
      userId: this.owner.id,
      createdAt: now,
    };
    workflow.activeVersion = {
      versionId: workflow.versionId,
      nodes: workflow.nodes,
      connections: workflow.connections,
      nodeGroups: workflow.nodeGroups,
      authors: [this.owner.firstName, this.owner.lastName].filter(Boolean).join(' '),
      createdAt: workflow.updatedAt,
      updatedAt: workflow.updatedAt,
      publishHistory:
        workflow.activeVersion?.versionId === workflow.versionId ? [...history, event] : [event],
    };
    workflow.active = true;
    workflow.activeVersionId = workflow.versionId;
    this.webhooks.register(workflow.id, workflow.nodes);
    // n8n counts trigger and polling nodes, not webhooks, once the activation has finished.
    workflow.triggerCount = workflow.nodes.filter(
      (node) =>
        isTriggerNode(node) &&
        !UNCOUNTED_TRIGGERS.has(String(node.type)) &&
        !/\.webhook$/.test(String(node.type)),
    ).length;
  }

  unpublishWorkflow(workflow: StoredWorkflow): void {
    if (workflow.activeVersionId !== null) workflow.unpublishedAt = this.clock().getTime();
    workflow.active = false;
    workflow.activeVersionId = null;
    workflow.activeVersion = null;
    this.webhooks.unregister(workflow.id);
  }

  archiveWorkflow(workflow: StoredWorkflow): void {
    if (workflow.isArchived) return;
    this.unpublishWorkflow(workflow);
    workflow.isArchived = true;
    // n8n saves a new version when it archives.
    workflow.versionId = this.newUuid();
    workflow.updatedAt = this.now();
    this.saveVersion(workflow);
  }

  unarchiveWorkflow(workflow: StoredWorkflow): void {
    if (!workflow.isArchived) return;
    workflow.isArchived = false;
    workflow.versionId = this.newUuid();
    workflow.updatedAt = this.now();
    this.saveVersion(workflow);
  }

  deleteWorkflow(id: string): void {
    this.webhooks.unregister(id);
    this.workflows.delete(id);
    this.history.delete(id);
    this.mutation += 1;
  }

  /** Sets a workflow's tags by tag id (unknown ids are the caller's problem). */
  setWorkflowTags(workflow: StoredWorkflow, tagIds: string[]): void {
    workflow.tagIds = [...new Set(tagIds)];
  }

  /** The workflow's current graph as a new saved version, authored by the key's owner. */
  private saveVersion(workflow: StoredWorkflow): void {
    const versions = this.history.get(workflow.id) ?? [];
    versions.push({
      versionId: workflow.versionId,
      workflowId: workflow.id,
      nodes: workflow.nodes,
      connections: workflow.connections,
      nodeGroups: workflow.nodeGroups,
      authors: [this.owner.firstName, this.owner.lastName].filter(Boolean).join(' '),
      name: null,
      description: null,
      createdAt: workflow.updatedAt,
      updatedAt: workflow.updatedAt,
    });
    this.history.set(workflow.id, versions);
  }

  private withNodeIds(nodes: JsonObject[]): JsonObject[] {
    return nodes.map((node) => (node.id ? node : { ...node, id: this.newUuid() }));
  }
}
