/**
 * The in-memory contents of one simulated n8n instance. Records are stored as n8n returns them;
 * the server shapes responses (list items lack `description` and `parentFolderId`, as on n8n 2.41).
 */
import { randomBytes } from 'node:crypto';
import type { DataTableColumnType, JsonObject } from '../../functions/core/n8n-types.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 16-character id, as n8n assigns them. */
export function newId(): string {
  const bytes = randomBytes(16);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

export interface StoredWorkflow {
  id: string;
  name: string;
  active: boolean;
  isArchived: boolean;
  nodes: JsonObject[];
  connections: JsonObject;
  settings: JsonObject;
  staticData: unknown;
  pinData: JsonObject | null;
  nodeGroups?: unknown[];
  description: string | null;
  tagIds: string[];
  projectId: string;
  parentFolderId: string | null;
  versionId: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredTag {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredCredential {
  id: string;
  name: string;
  type: string;
  data: JsonObject;
  projectId: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredDataTable {
  id: string;
  name: string;
  projectId: string;
  columns: { id: string; name: string; type: DataTableColumnType; index: number }[];
  rows: Record<string, unknown>[];
  nextRowId: number;
  createdAt: string;
  updatedAt: string;
}

export interface StoredProject {
  id: string;
  name: string;
  type: 'personal' | 'team';
  members: { userId: string; role: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface StoredUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  createdAt: string;
  updatedAt: string;
}

export interface DoubleState {
  users: Map<string, StoredUser>;
  projects: Map<string, StoredProject>;
  folders: Map<
    string,
    {
      id: string;
      name: string;
      parentFolderId: string | null;
      projectId: string;
      createdAt: string;
      updatedAt: string;
    }
  >;
  tags: Map<string, StoredTag>;
  variables: Map<string, { id: string; key: string; value: string; projectId: string | null }>;
  credentials: Map<string, StoredCredential>;
  dataTables: Map<string, StoredDataTable>;
  workflows: Map<string, StoredWorkflow>;
  /** The API key's user; its personal project is where unplaced things land. */
  ownerId: string;
  personalProjectId: string;
}

export function now(): string {
  return new Date().toISOString();
}

/** An empty instance: one owner and their personal project, as after n8n's owner set-up. */
export function emptyState(): DoubleState {
  const ownerId = newId();
  const personalProjectId = newId();
  const at = now();
  const state: DoubleState = {
    users: new Map([
      [
        ownerId,
        {
          id: ownerId,
          email: 'owner@example.com',
          firstName: 'Olive',
          lastName: 'Owner',
          role: 'global:owner',
          createdAt: at,
          updatedAt: at,
        },
      ],
    ]),
    projects: new Map([
      [
        personalProjectId,
        {
          id: personalProjectId,
          name: 'Olive Owner <owner@example.com>',
          type: 'personal',
          members: [{ userId: ownerId, role: 'project:personalOwner' }],
          createdAt: at,
          updatedAt: at,
        },
      ],
    ]),
    folders: new Map(),
    tags: new Map(),
    variables: new Map(),
    credentials: new Map(),
    dataTables: new Map(),
    workflows: new Map(),
    ownerId,
    personalProjectId,
  };
  return state;
}
