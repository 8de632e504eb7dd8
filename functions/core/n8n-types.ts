/**
 * The shapes of n8n resources as n8n's Public API v1 returns them, reduced to what n8n-ark reads.
 * Unknown fields are kept (index signatures) so a backup carries everything n8n sent.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface NodeCredentialRef {
  id: string | null;
  name: string;
}

export interface WorkflowNode {
  id?: string;
  name: string;
  type: string;
  typeVersion?: number;
  position?: [number, number];
  parameters: JsonObject;
  credentials?: Record<string, NodeCredentialRef>;
  disabled?: boolean;
  [key: string]: unknown;
}

export interface TagRef {
  id: string;
  name: string;
}

export interface WorkflowShare {
  role: string;
  workflowId?: string;
  projectId: string;
  project?: { id: string; name: string; type?: string };
}

export interface Workflow {
  id: string;
  name: string;
  active: boolean;
  isArchived?: boolean;
  nodes: WorkflowNode[];
  connections: JsonObject;
  settings: JsonObject;
  staticData?: Json;
  pinData?: JsonObject | null;
  nodeGroups?: Json[];
  description?: string | null;
  tags?: TagRef[];
  shared?: WorkflowShare[];
  /** The folder the workflow lives in, when the API tells it (see the client for how it is learnt). */
  parentFolderId?: string | null;
  versionId?: string;
  createdAt?: string;
  updatedAt?: string;
  [key: string]: unknown;
}

/** One item of GET /workflows/{id}/history (newest first): a saved version, without its graph. */
export interface WorkflowVersionMeta {
  versionId: string;
  workflowId: string;
  /** Who saved it, as n8n writes it ("First Last"); one string, not a list. */
  authors: string;
  /** Set when the version was named (publishing with a name names it). */
  name: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  [key: string]: unknown;
}

/** GET /workflows/{id}/versions/{versionId}: a version's graph. No workflow name, settings or pinned data. */
export interface WorkflowVersion extends WorkflowVersionMeta {
  nodes: WorkflowNode[];
  connections: JsonObject;
  nodeGroups?: Json[];
}

/** The fields POST /workflows and PUT /workflows/{id} accept (everything else is read-only → 400). */
export interface WorkflowWrite {
  name: string;
  nodes: WorkflowNode[];
  connections: JsonObject;
  settings: JsonObject;
  staticData?: Json;
  pinData?: JsonObject | null;
  nodeGroups?: Json[];
  projectId?: string;
  parentFolderId?: string | null;
  /** Accepted by PUT only (real n8n rejects it on POST despite the spec). */
  description?: string;
}

export interface Tag {
  id: string;
  name: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface Variable {
  id: string;
  key: string;
  value: string;
  type?: string;
  project?: { id: string; name: string } | null;
}

export interface VariableWrite {
  key: string;
  value: string;
  projectId?: string | null;
}

export type DataTableColumnType = 'string' | 'number' | 'boolean' | 'date' | 'json';

export interface DataTableColumn {
  id: string;
  name: string;
  type: DataTableColumnType;
  index: number;
}

export interface DataTable {
  id: string;
  name: string;
  projectId?: string;
  columns: DataTableColumn[];
  createdAt?: string;
  updatedAt?: string;
}

export interface DataTableWrite {
  name: string;
  columns: { name: string; type: DataTableColumnType }[];
  projectId?: string;
}

/** A data-table row: server-assigned `id`, timestamps, then one field per column. */
export type DataTableRow = { [column: string]: Json };

export interface CredentialMeta {
  id: string;
  name: string;
  type: string;
  createdAt?: string;
  updatedAt?: string;
  /** The projects the credential is shared with; the `owner` role names its home project. */
  shared?: { id: string; name: string; role: string }[];
  /** Every user of the instance may use it (n8n's sharing licence). */
  isGlobal?: boolean;
  /** Created and kept by n8n itself (e.g. its free AI credits); the API cannot create or change one. */
  isManaged?: boolean;
  [key: string]: unknown;
}

export interface CredentialWrite {
  /** Credentials are the one resource n8n lets the caller choose the id for (1–16 chars). */
  id?: string;
  name: string;
  type: string;
  data: JsonObject;
  projectId?: string;
}

export interface Project {
  id: string;
  name: string;
  type: 'personal' | 'team';
  description?: string | null;
  createdAt?: string;
  updatedAt?: string;
  [key: string]: unknown;
}

export interface ProjectMember {
  id: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  role: string;
}

export interface Folder {
  id: string;
  name: string;
  parentFolderId: string | null;
  projectId: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface User {
  id: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  role?: string;
  isPending?: boolean;
}

/** What n8n answers for one user POST /users invited (n8n 2.41.1). */
export interface UserInvitation {
  id: string;
  email: string;
  /** The role n8n states: that of the first invitation in the call, whatever each user got. */
  role: string;
  emailSent: boolean;
  /** The link to finish the account, when n8n did not e-mail it (and links are not e-mail only). */
  inviteAcceptUrl?: string;
  /** Why the invitation e-mail failed; empty when it did not. */
  error?: string;
}

/** One installed community package as GET /community-packages lists it (n8n 2.41). */
export interface CommunityPackage {
  packageName: string;
  installedVersion: string;
  installedNodes: { name: string; type: string; latestVersion?: number }[];
  /** True when n8n has it installed but could not load it (its node types are then unknown). */
  failedLoading?: boolean;
  [key: string]: unknown;
}

/** A node type at one version, as a workflow's node uses it (`type`, `typeVersion`). */
export interface NodeTypeUse {
  type: string;
  typeVersion: number;
}
