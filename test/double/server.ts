/**
 * The n8n API double: an HTTP server on loopback that behaves like n8n 2.x's Public API v1 where
 * n8n-ark depends on it (../shared/n8n/API-NOTES.md and docs/REAL-N8N-FINDINGS.md): cursor paging
 * with limit ≤ 250, server-assigned ids, read-only and unknown fields rejected with 400, 409 on
 * duplicates, licence gates answering 403, scopes per API key, and optional fault injection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REQUIRED_SCOPES } from '../../functions/adapters/n8n-scopes.js';
import type { DataTableColumnType, JsonObject } from '../../functions/core/n8n-types.js';
import {
  type DoubleState,
  emptyState,
  newId,
  now,
  type StoredDataTable,
  type StoredWorkflow,
} from './state.js';

export interface Faults {
  /** Share of requests answered 429 with Retry-After. */
  rate429?: number;
  retryAfterSeconds?: number;
  /** Share answered 500. */
  rate500?: number;
  /** Share whose socket is destroyed without an answer. */
  rateReset?: number;
  /** Added to every answer. */
  latencyMs?: number;
  /** Only GET requests get faults when true (a test of exact counts after retries wants this). */
  readsOnly?: boolean;
  seed?: number;
}

export interface DoubleOptions {
  port?: number;
  apiKey?: string;
  /** Licence features, e.g. ['feat:variables'], or 'all'. Default: none (the community edition). */
  licensed?: string[] | 'all';
  faults?: Faults;
  state?: DoubleState;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
}

export interface N8nDouble {
  url: string;
  apiKey: string;
  state: DoubleState;
  requests: RequestRecord[];
  faults: Faults;
  /** Requests that could change the instance (not GET), counted whatever their answer. */
  writeCount(): number;
  addApiKey(key: string, scopes?: string[]): void;
  setLicensed(features: string[] | 'all'): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PAGE_DEFAULT = 100;
const PAGE_MAX = 250;

const WORKFLOW_WRITABLE = [
  'name',
  'nodes',
  'connections',
  'settings',
  'staticData',
  'pinData',
  'nodeGroups',
  'projectId',
  'parentFolderId',
];
const WORKFLOW_READ_ONLY = [
  'id',
  'active',
  'createdAt',
  'updatedAt',
  'isArchived',
  'versionId',
  'triggerCount',
  'meta',
  'tags',
  'activeVersion',
  'shared',
];
export const WORKFLOW_SETTINGS_KEYS = [
  'saveExecutionProgress',
  'saveManualExecutions',
  'saveDataErrorExecution',
  'saveDataSuccessExecution',
  'executionTimeout',
  'errorWorkflow',
  'timezone',
  'executionOrder',
  'binaryMode',
  'callerPolicy',
  'callerIds',
  'availableInMCP',
  'timeSavedPerExecution',
];

/** The credential types the double knows the schema of; others accept any object. */
const CREDENTIAL_SCHEMAS: Record<
  string,
  { properties: Record<string, { type: string }>; required: string[] }
> = {
  slackApi: { properties: { accessToken: { type: 'string' } }, required: ['accessToken'] },
  httpHeaderAuth: {
    properties: { name: { type: 'string' }, value: { type: 'string' } },
    required: ['name', 'value'],
  },
  httpBasicAuth: {
    properties: { user: { type: 'string' }, password: { type: 'string' } },
    required: ['user', 'password'],
  },
  postgres: {
    properties: {
      host: { type: 'string' },
      port: { type: 'number' },
      database: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
    },
    required: ['host', 'database', 'user', 'password'],
  },
};

const LICENCE_MESSAGE = (feature: string) =>
  `Your license does not allow for ${feature}. To enable ${feature}, please upgrade to a license that supports this feature.`;

const isTrigger = (node: JsonObject) => /trigger|webhook/i.test(String(node.type ?? ''));

function encodeCursor(limit: number, offset: number): string {
  return Buffer.from(JSON.stringify({ limit, offset })).toString('base64');
}

function decodeCursor(cursor: string): { limit: number; offset: number } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as {
      limit?: unknown;
      offset?: unknown;
    };
    if (typeof parsed.limit === 'number' && typeof parsed.offset === 'number')
      return { limit: parsed.limit, offset: parsed.offset };
  } catch {
    // fall through
  }
  throw new HttpError(400, 'An invalid cursor was provided');
}

/** n8n's cursor paging: limit (≤ 250, capped or refused), then base64 {limit, offset} cursors. */
function page<T>(
  items: T[],
  query: URLSearchParams,
  refuseOverMax = false,
): { data: T[]; nextCursor: string | null } {
  let limit = PAGE_DEFAULT;
  let offset = Number(query.get('offset') ?? 0);
  const rawLimit = query.get('limit');
  if (rawLimit !== null) {
    limit = Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 0)
      throw new HttpError(400, 'request/query/limit must be integer');
    if (limit > PAGE_MAX) {
      if (refuseOverMax) throw new HttpError(400, 'request/query/limit must be <= 250');
      limit = PAGE_MAX;
    }
  }
  const cursor = query.get('cursor');
  if (cursor) ({ limit, offset } = decodeCursor(cursor));
  // limit=0 answers everything and still a cursor (measured on n8n 2.41.1).
  const data = limit === 0 ? items.slice(offset) : items.slice(offset, offset + limit);
  const more = limit === 0 || offset + limit < items.length;
  return { data, nextCursor: more ? encodeCursor(limit, offset + limit) : null };
}

function byId<T extends { id: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A small deterministic PRNG (mulberry32) so fault runs repeat. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Handler = (ctx: Context) => unknown;
interface Context {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  state: DoubleState;
  scopes: Set<string> | 'all';
  res: ServerResponse;
}
interface Route {
  method: string;
  pattern: RegExp;
  template: string;
  feature?: string;
  handler: Handler;
}

export async function startN8nDouble(options: DoubleOptions = {}): Promise<N8nDouble> {
  const state = options.state ?? emptyState();
  const apiKey = options.apiKey ?? `n8n_api_double_${newId()}`;
  const keys = new Map<string, Set<string> | 'all'>([[apiKey, 'all']]);
  let licensed: Set<string> | 'all' = options.licensed === 'all' ? 'all' : new Set(options.licensed ?? []);
  const faults: Faults = { ...(options.faults ?? {}) };
  let random = prng(faults.seed ?? 42);
  let seededWith = faults.seed;
  const requests: RequestRecord[] = [];
  const routes = buildRoutes();

  const isLicensed = (feature: string) => licensed === 'all' || licensed.has(feature);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith('/api/v1/')) {
      if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><body>Cannot GET</body></html>');
      return;
    }
    const path = url.pathname.slice('/api/v1'.length);
    const record: RequestRecord = { method, path, status: 0 };
    requests.push(record);
    const raw = await readBody(req);

    if (faults.seed !== seededWith) {
      random = prng(faults.seed ?? 42);
      seededWith = faults.seed;
    }
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (!faults.readsOnly || method === 'GET') {
      const roll = random();
      let edge = faults.rate429 ?? 0;
      if (roll < edge) {
        record.status = 429;
        return send(
          res,
          429,
          { message: 'Too Many Requests' },
          { 'retry-after': String(faults.retryAfterSeconds ?? 0) },
        );
      }
      edge += faults.rate500 ?? 0;
      if (roll < edge) {
        record.status = 500;
        return send(res, 500, { message: 'Internal Server Error' });
      }
      edge += faults.rateReset ?? 0;
      if (roll < edge) {
        record.status = -1;
        req.socket.destroy();
        return;
      }
    }

    const status = (s: number) => {
      record.status = s;
      return s;
    };
    const key = req.headers['x-n8n-api-key'];
    if (typeof key !== 'string' || !key)
      return send(res, status(401), { message: "'X-N8N-API-KEY' header required" });
    const scopes = keys.get(key);
    if (!scopes) return send(res, status(401), { message: 'Unauthorized' });

    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) return send(res, status(404), { message: 'Not Found' });
    const scope = REQUIRED_SCOPES[`${method} ${route.template}`];
    if (scope && scope !== 'none' && scopes !== 'all' && !scopes.has(scope))
      return send(res, status(403), { message: 'Forbidden' });
    if (route.feature && !isLicensed(route.feature))
      return send(res, status(403), { message: LICENCE_MESSAGE(route.feature) });

    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        res.writeHead(status(500), { 'content-type': 'text/html' });
        res.end('<!DOCTYPE html><html><body><pre>SyntaxError: Unexpected token in JSON</pre></body></html>');
        return;
      }
    }
    try {
      const params = route.pattern.exec(path)?.slice(1).map(decodeURIComponent) ?? [];
      const result = route.handler({ params, query: url.searchParams, body, state, scopes, res });
      if (res.headersSent) {
        record.status = res.statusCode;
        return;
      }
      send(res, status(result === undefined ? 204 : 200), result);
    } catch (error) {
      if (error instanceof HttpError) return send(res, status(error.status), { message: error.message });
      send(res, status(500), { message: (error as Error).message });
    }
  }

  function buildRoutes(): Route[] {
    const r: Route[] = [];
    const add = (method: string, template: string, handler: Handler, feature?: string) => {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      r.push({ method, pattern, template, handler, ...(feature ? { feature } : {}) });
    };

    // ---- workflows
    add('GET', '/workflows', ({ query, state }) => {
      let items = byId(state.workflows.values());
      const active = query.get('active');
      if (active !== null) items = items.filter((w) => String(w.active) === active);
      const name = query.get('name');
      if (name) items = items.filter((w) => w.name.includes(name));
      const projectId = query.get('projectId');
      if (projectId) items = items.filter((w) => w.projectId === projectId);
      const tags = query.get('tags');
      if (tags) {
        const wanted = tags.split(',');
        items = items.filter((w) =>
          wanted.every((t) => w.tagIds.some((id) => state.tags.get(id)?.name === t)),
        );
      }
      const exclude = query.get('excludePinnedData') === 'true';
      const p = page(items, query);
      return { data: p.data.map((w) => listedWorkflow(state, w, exclude)), nextCursor: p.nextCursor };
    });
    add('GET', '/workflows/{workflowId}', ({ params, state, query }) =>
      detailedWorkflow(state, workflow(state, params[0]), query.get('excludePinnedData') === 'true'),
    );
    add('POST', '/workflows', ({ body, state }) => {
      const input = validateWorkflowBody(body, 'POST');
      const at = now();
      const projectId = String(input.projectId ?? state.personalProjectId);
      if (!state.projects.has(projectId)) throw new HttpError(404, 'Project not found');
      const parentFolderId = (input.parentFolderId as string | null | undefined) ?? null;
      if (parentFolderId && !state.folders.has(parentFolderId)) throw new HttpError(404, 'Folder not found');
      const stored: StoredWorkflow = {
        id: newId(),
        name: String(input.name),
        active: false,
        isArchived: false,
        nodes: input.nodes as JsonObject[],
        connections: input.connections as JsonObject,
        settings: input.settings as JsonObject,
        staticData: input.staticData ?? null,
        pinData: (input.pinData as JsonObject | undefined) ?? null,
        ...(input.nodeGroups ? { nodeGroups: input.nodeGroups as unknown[] } : {}),
        description: null,
        tagIds: [],
        projectId,
        parentFolderId,
        versionId: newId(),
        createdAt: at,
        updatedAt: at,
      };
      state.workflows.set(stored.id, stored);
      return detailedWorkflow(state, stored, false);
    });
    add('PUT', '/workflows/{workflowId}', ({ params, body, state }) => {
      const stored = workflow(state, params[0]);
      const input = validateWorkflowBody(body, 'PUT');
      if (stored.isArchived) throw new HttpError(400, 'Cannot update an archived workflow.');
      Object.assign(stored, {
        name: String(input.name),
        nodes: input.nodes,
        connections: input.connections,
        settings: { ...(input.settings as JsonObject) },
        versionId: newId(),
        updatedAt: now(),
      });
      if ('staticData' in input) stored.staticData = input.staticData;
      if ('pinData' in input) stored.pinData = (input.pinData as JsonObject | null) ?? null;
      if ('description' in input) stored.description = (input.description as string | null) ?? null;
      if ('parentFolderId' in input) stored.parentFolderId = (input.parentFolderId as string | null) ?? null;
      return detailedWorkflow(state, stored, false);
    });
    add('DELETE', '/workflows/{workflowId}', ({ params, state }) => {
      const stored = workflow(state, params[0]);
      state.workflows.delete(stored.id);
      return detailedWorkflow(state, stored, false);
    });
    add('POST', '/workflows/{workflowId}/archive', ({ params, state }) => {
      const stored = workflow(state, params[0]);
      if (stored.isArchived) throw new HttpError(400, 'Workflow is already archived.');
      Object.assign(stored, { isArchived: true, active: false, updatedAt: now() });
      return detailedWorkflow(state, stored, false);
    });
    add('POST', '/workflows/{workflowId}/unarchive', ({ params, state }) => {
      const stored = workflow(state, params[0]);
      if (!stored.isArchived) throw new HttpError(400, 'Workflow is not archived.');
      Object.assign(stored, { isArchived: false, updatedAt: now() });
      return detailedWorkflow(state, stored, false);
    });
    const publish: Handler = ({ params, state }) => {
      const stored = workflow(state, params[0]);
      if (stored.isArchived) throw new HttpError(400, 'Cannot publish an archived workflow.');
      if (!stored.nodes.some(isTrigger)) {
        throw new HttpError(
          400,
          'Workflow has no node to start the workflow - at least one trigger, poller or webhook node is required',
        );
      }
      const unpublished = calledWorkflowIds(stored).filter(
        (id) => id !== stored.id && state.workflows.get(id)?.active !== true,
      );
      if (unpublished.length > 0) {
        throw new HttpError(
          400,
          `Cannot publish workflow: ${unpublished.map((id) => `references workflow ${id} which is not published`).join('; ')}. Please publish all referenced sub-workflows first.`,
        );
      }
      Object.assign(stored, { active: true, updatedAt: now() });
      return detailedWorkflow(state, stored, false);
    };
    const unpublish: Handler = ({ params, state }) => {
      const stored = workflow(state, params[0]);
      Object.assign(stored, { active: false, updatedAt: now() });
      return detailedWorkflow(state, stored, false);
    };
    add('POST', '/workflows/{workflowId}/publish', publish);
    add('POST', '/workflows/{workflowId}/activate', publish);
    add('POST', '/workflows/{workflowId}/unpublish', unpublish);
    add('POST', '/workflows/{workflowId}/deactivate', unpublish);
    add(
      'PUT',
      '/workflows/{workflowId}/transfer',
      ({ params, body, state, res }) => {
        const stored = workflow(state, params[0]);
        const destination = state.projects.get(
          String((body as { destinationProjectId?: unknown })?.destinationProjectId),
        );
        if (!destination) throw new HttpError(404, 'Project not found');
        if (destination.type !== 'team')
          throw new HttpError(400, 'You can only transfer into team projects.');
        if (destination.id === stored.projectId)
          throw new HttpError(
            400,
            'You cannot transfer a workflow into the project that is already the owner.',
          );
        stored.projectId = destination.id;
        stored.parentFolderId = null;
        res.writeHead(204).end();
      },
      'feat:projectRole:admin',
    );
    add('GET', '/workflows/{workflowId}/tags', ({ params, state }) =>
      workflowTags(state, workflow(state, params[0])),
    );
    add('PUT', '/workflows/{workflowId}/tags', ({ params, body, state }) => {
      const stored = workflow(state, params[0]);
      if (!Array.isArray(body)) throw new HttpError(400, 'request/body must be array');
      const ids = body.map((t) => String((t as { id?: unknown }).id));
      for (const id of ids) if (!state.tags.has(id)) throw new HttpError(404, 'Some tags not found');
      stored.tagIds = [...new Set(ids)];
      return workflowTags(state, stored);
    });

    // ---- tags
    add('GET', '/tags', ({ query, state }) => page(byId(state.tags.values()), query));
    add('POST', '/tags', ({ body, state, res }) => {
      const input = object(body);
      rejectReadOnly(input, ['id', 'createdAt', 'updatedAt']);
      const name = requireString(input, 'name');
      if ([...state.tags.values()].some((t) => t.name === name))
        throw new HttpError(409, 'Tag already exists');
      const at = now();
      const tag = { id: newId(), name, createdAt: at, updatedAt: at };
      state.tags.set(tag.id, tag);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(tag));
    });
    add('GET', '/tags/{tagId}', ({ params, state }) => found(state.tags.get(params[0] ?? ''), 'Tag'));
    add('DELETE', '/tags/{tagId}', ({ params, state }) => {
      const tag = found(state.tags.get(params[0] ?? ''), 'Tag');
      state.tags.delete(tag.id);
      for (const w of state.workflows.values()) w.tagIds = w.tagIds.filter((id) => id !== tag.id);
      return tag;
    });

    // ---- variables (licensed)
    const variableView = (v: { id: string; key: string; value: string; projectId: string | null }) => {
      const project = v.projectId ? state.projects.get(v.projectId) : undefined;
      return {
        id: v.id,
        key: v.key,
        value: v.value,
        type: 'string',
        project: project ? { id: project.id, name: project.name } : null,
      };
    };
    add(
      'GET',
      '/variables',
      ({ query, state }) => {
        const p = page(byId(state.variables.values()), query);
        return { data: p.data.map(variableView), nextCursor: p.nextCursor };
      },
      'feat:variables',
    );
    const writeVariable = (input: Record<string, unknown>, id?: string) => {
      rejectReadOnly(input, ['id', 'type']);
      const key = requireString(input, 'key');
      const value = requireString(input, 'value');
      if (key.length > 50) throw new HttpError(400, 'request/body/key must NOT have more than 50 characters');
      const projectId = (input.projectId as string | null | undefined) ?? null;
      if (
        [...state.variables.values()].some((v) => v.key === key && v.projectId === projectId && v.id !== id)
      ) {
        throw new HttpError(409, `Variable with key ${key} already exists`);
      }
      return { key, value, projectId };
    };
    add(
      'POST',
      '/variables',
      ({ body, state, res }) => {
        const variable = { id: newId(), ...writeVariable(object(body)) };
        state.variables.set(variable.id, variable);
        res.writeHead(201).end();
      },
      'feat:variables',
    );
    add(
      'PUT',
      '/variables/{id}',
      ({ params, body, state, res }) => {
        const existing = found(state.variables.get(params[0] ?? ''), 'Variable');
        Object.assign(existing, writeVariable(object(body), existing.id));
        res.writeHead(204).end();
      },
      'feat:variables',
    );
    add(
      'DELETE',
      '/variables/{id}',
      ({ params, state, res }) => {
        found(state.variables.get(params[0] ?? ''), 'Variable');
        state.variables.delete(params[0] ?? '');
        res.writeHead(204).end();
      },
      'feat:variables',
    );

    // ---- data tables
    const tableView = (t: StoredDataTable) => ({
      id: t.id,
      name: t.name,
      projectId: t.projectId,
      columns: t.columns,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
    });
    add('GET', '/data-tables', ({ query, state }) => {
      const p = page(byId(state.dataTables.values()), query, true);
      return { data: p.data.map(tableView), nextCursor: p.nextCursor };
    });
    add('POST', '/data-tables', ({ body, state, res }) => {
      const input = object(body);
      rejectReadOnly(input, ['id']);
      const name = requireString(input, 'name');
      const projectId = String(input.projectId ?? state.personalProjectId);
      if ([...state.dataTables.values()].some((t) => t.name === name && t.projectId === projectId)) {
        throw new HttpError(409, `Data table with name '${name}' already exists in this project`);
      }
      const columns = (Array.isArray(input.columns) ? input.columns : []).map((c, index) => {
        const column = object(c);
        const type = String(column.type) as DataTableColumnType;
        if (!['string', 'number', 'boolean', 'date', 'json'].includes(type))
          throw new HttpError(
            400,
            `request/body/columns/${index}/type must be equal to one of the allowed values`,
          );
        return { id: newId(), name: requireString(column, 'name'), type, index };
      });
      const at = now();
      const table: StoredDataTable = {
        id: newId(),
        name,
        projectId,
        columns,
        rows: [],
        nextRowId: 1,
        createdAt: at,
        updatedAt: at,
      };
      state.dataTables.set(table.id, table);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(tableView(table)));
    });
    add('GET', '/data-tables/{dataTableId}', ({ params, state }) => tableView(table(state, params[0])));
    add('DELETE', '/data-tables/{dataTableId}', ({ params, state, res }) => {
      state.dataTables.delete(table(state, params[0]).id);
      res.writeHead(204).end();
    });
    add('GET', '/data-tables/{dataTableId}/columns', ({ params, state }) =>
      table(state, params[0]).columns.map((c) => ({ ...c, dataTableId: params[0] })),
    );
    add('GET', '/data-tables/{dataTableId}/rows', ({ params, query, state }) => {
      const t = table(state, params[0]);
      const filter = query.get('filter');
      const rows = filter ? t.rows.filter(rowFilter(filter)) : t.rows;
      return page(rows, query, true);
    });
    add('POST', '/data-tables/{dataTableId}/rows', ({ params, body, state }) => {
      const t = table(state, params[0]);
      const input = object(body);
      if (!Array.isArray(input.data))
        throw new HttpError(400, "request/body must have required property 'data'");
      const names = new Set(t.columns.map((c) => c.name));
      const inserted = input.data.map((raw) => {
        const values = object(raw);
        for (const key of Object.keys(values))
          if (!names.has(key)) throw new HttpError(400, `unknown column name '${key}'`);
        const at = now();
        const row = { id: t.nextRowId++, ...values, createdAt: at, updatedAt: at };
        t.rows.push(row);
        return row;
      });
      const returnType = input.returnType ?? 'count';
      if (returnType === 'all') return inserted;
      if (returnType === 'id') return inserted.map((row) => ({ id: row.id }));
      return { success: true, insertedRows: inserted.length, count: inserted.length };
    });
    add('DELETE', '/data-tables/{dataTableId}/rows/clear', ({ params, state }) => {
      const t = table(state, params[0]);
      const deletedCount = t.rows.length;
      t.rows = [];
      return { deletedCount };
    });

    // ---- credentials
    const credentialView = (c: {
      id: string;
      name: string;
      type: string;
      projectId: string;
      createdAt: string;
      updatedAt: string;
    }) => {
      const project = state.projects.get(c.projectId);
      return {
        id: c.id,
        name: c.name,
        type: c.type,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        shared: project
          ? [
              {
                id: project.id,
                name: project.name,
                role: 'credential:owner',
                createdAt: c.createdAt,
                updatedAt: c.updatedAt,
              },
            ]
          : [],
      };
    };
    add('GET', '/credentials', ({ query, state }) => {
      const sorted = [...state.credentials.values()].sort((a, b) =>
        a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1,
      );
      const p = page(sorted, query);
      return { data: p.data.map(credentialView), nextCursor: p.nextCursor };
    });
    add('GET', '/credentials/{credentialId}', ({ params, state }) =>
      credentialView(found(state.credentials.get(params[0] ?? ''), 'Credential')),
    );
    add('POST', '/credentials', ({ body, state }) => {
      const input = object(body);
      const allowed = new Set(['id', 'name', 'type', 'data', 'projectId', 'isResolvable']);
      for (const key of Object.keys(input))
        if (!allowed.has(key)) throw new HttpError(400, 'request/body must NOT have additional properties');
      const id = input.id === undefined ? newId() : String(input.id);
      if (!/^[a-zA-Z0-9_-]{1,16}$/.test(id))
        throw new HttpError(400, 'request/body/id must match pattern "^[a-zA-Z0-9_-]+$"');
      if (state.credentials.has(id)) throw new HttpError(409, 'A credential with this ID already exists');
      const type = requireString(input, 'type');
      const data = object(input.data) as JsonObject;
      const schema = CREDENTIAL_SCHEMAS[type];
      if (schema) {
        for (const key of Object.keys(data))
          if (!(key in schema.properties))
            throw new HttpError(400, 'request/body/data must NOT have additional properties');
        for (const key of schema.required)
          if (!(key in data))
            throw new HttpError(400, `request/body/data must have required property '${key}'`);
      }
      const at = now();
      const credential = {
        id,
        name: requireString(input, 'name'),
        type,
        data,
        projectId: String(input.projectId ?? state.personalProjectId),
        createdAt: at,
        updatedAt: at,
      };
      state.credentials.set(id, credential);
      return credentialView(credential);
    });
    add('DELETE', '/credentials/{credentialId}', ({ params, state }) => {
      const credential = found(state.credentials.get(params[0] ?? ''), 'Credential');
      state.credentials.delete(credential.id);
      return credentialView(credential);
    });
    add('GET', '/credentials/schema/{credentialTypeName}', ({ params }) => {
      const schema = CREDENTIAL_SCHEMAS[params[0] ?? ''];
      if (!schema) throw new HttpError(404, `Credential type ${params[0]} not found`);
      return { additionalProperties: false, type: 'object', ...schema };
    });
    add(
      'PUT',
      '/credentials/{credentialId}/transfer',
      ({ params, body, state, res }) => {
        const credential = found(state.credentials.get(params[0] ?? ''), 'Credential');
        const destination = state.projects.get(
          String((body as { destinationProjectId?: unknown })?.destinationProjectId),
        );
        if (!destination) throw new HttpError(404, 'Project not found');
        if (destination.type !== 'team')
          throw new HttpError(400, 'You can only transfer into team projects.');
        credential.projectId = destination.id;
        res.writeHead(204).end();
      },
      'feat:projectRole:admin',
    );

    // ---- projects (licensed), folders (licensed), users
    const projectView = (p: {
      id: string;
      name: string;
      type: string;
      createdAt: string;
      updatedAt: string;
    }) => ({
      id: p.id,
      name: p.name,
      type: p.type,
      icon: null,
      description: null,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    });
    add(
      'GET',
      '/projects',
      ({ query, state }) => {
        const p = page(byId(state.projects.values()), query);
        return { data: p.data.map(projectView), nextCursor: p.nextCursor };
      },
      'feat:projectRole:admin',
    );
    add(
      'POST',
      '/projects',
      ({ body, state, res }) => {
        const input = object(body);
        rejectReadOnly(input, ['id', 'type']);
        const at = now();
        const project = {
          id: newId(),
          name: requireString(input, 'name'),
          type: 'team' as const,
          members: [{ userId: state.ownerId, role: 'project:admin' }],
          createdAt: at,
          updatedAt: at,
        };
        state.projects.set(project.id, project);
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...projectView(project), role: 'project:admin', scopes: [] }));
      },
      'feat:projectRole:admin',
    );
    add(
      'GET',
      '/projects/{projectId}/users',
      ({ params, query, state }) => {
        const project = found(state.projects.get(params[0] ?? ''), 'Project');
        const members = project.members
          .map((m) => ({ user: state.users.get(m.userId), role: m.role }))
          .filter((m): m is { user: NonNullable<typeof m.user>; role: string } => m.user !== undefined)
          .map(({ user, role }) => ({
            id: user.id,
            email: user.email,
            firstName: user.firstName,
            lastName: user.lastName,
            createdAt: user.createdAt,
            updatedAt: user.updatedAt,
            role,
          }));
        return page(members, query);
      },
      'feat:projectRole:admin',
    );
    add(
      'POST',
      '/projects/{projectId}/users',
      ({ params, body, state, res }) => {
        const project = found(state.projects.get(params[0] ?? ''), 'Project');
        const relations = object(body).relations;
        if (!Array.isArray(relations))
          throw new HttpError(400, "request/body must have required property 'relations'");
        for (const relation of relations) {
          const { userId, role } = object(relation);
          if (!state.users.has(String(userId))) throw new HttpError(404, `User ${userId} not found`);
          if (!project.members.some((m) => m.userId === userId))
            project.members.push({ userId: String(userId), role: String(role) });
        }
        res.writeHead(201).end();
      },
      'feat:projectRole:admin',
    );
    add(
      'GET',
      '/projects/{projectId}/folders',
      ({ params, query, state }) => {
        found(state.projects.get(params[0] ?? ''), 'Project');
        const all = byId([...state.folders.values()].filter((f) => f.projectId === params[0]));
        const skip = Number(query.get('skip') ?? 0);
        const take = Number(query.get('take') ?? 10);
        return {
          count: all.length,
          data: all.slice(skip, skip + take).map((f) => ({
            id: f.id,
            name: f.name,
            parentFolderId: f.parentFolderId,
            createdAt: f.createdAt,
            updatedAt: f.updatedAt,
            homeProject: { id: f.projectId },
          })),
        };
      },
      'feat:folders',
    );
    add(
      'POST',
      '/projects/{projectId}/folders',
      ({ params, body, state, res }) => {
        const project = found(state.projects.get(params[0] ?? ''), 'Project');
        const input = object(body);
        const parentFolderId = (input.parentFolderId as string | null | undefined) ?? null;
        if (parentFolderId && state.folders.get(parentFolderId)?.projectId !== project.id)
          throw new HttpError(404, 'Parent folder not found');
        const at = now();
        const folder = {
          id: newId(),
          name: requireString(input, 'name'),
          parentFolderId,
          projectId: project.id,
          createdAt: at,
          updatedAt: at,
        };
        state.folders.set(folder.id, folder);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(folder));
      },
      'feat:folders',
    );
    add('GET', '/users', ({ query, state }) => page(byId(state.users.values()), query, true));
    add('GET', '/users/{id}', ({ params, state }) =>
      found(
        [...state.users.values()].find((u) => u.id === params[0] || u.email === params[0]),
        'User',
      ),
    );
    add('GET', '/discover', ({ scopes }) => ({
      data: {
        scopes:
          scopes === 'all'
            ? [...new Set(Object.values(REQUIRED_SCOPES))].filter((s) => s !== 'none')
            : [...scopes],
        resources: {},
        filters: {},
      },
    }));
    return r;
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: (error as Error).message });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiKey,
    state,
    requests,
    faults,
    writeCount: () => requests.filter((r) => r.method !== 'GET').length,
    addApiKey: (key, scopes) => keys.set(key, scopes ? new Set(scopes) : 'all'),
    setLicensed: (features) => {
      licensed = features === 'all' ? 'all' : new Set(features);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- helpers shared by the routes

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'request/body must be object');
  return value as Record<string, unknown>;
}

function requireString(input: Record<string, unknown>, field: string): string {
  if (typeof input[field] !== 'string' || input[field] === '')
    throw new HttpError(400, `request/body must have required property '${field}'`);
  return input[field] as string;
}

function rejectReadOnly(input: Record<string, unknown>, fields: string[]): void {
  for (const field of fields)
    if (field in input) throw new HttpError(400, `request/body/${field} is read-only`);
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new HttpError(404, `${what} not found`);
  return value;
}

function workflow(state: DoubleState, id: string | undefined): StoredWorkflow {
  return found(state.workflows.get(id ?? ''), 'Workflow');
}

function table(state: DoubleState, id: string | undefined): StoredDataTable {
  return found(state.dataTables.get(id ?? ''), 'Data table');
}

function validateWorkflowBody(body: unknown, method: 'POST' | 'PUT'): Record<string, unknown> {
  const input = object(body);
  rejectReadOnly(input, method === 'POST' ? [...WORKFLOW_READ_ONLY, 'description'] : WORKFLOW_READ_ONLY);
  const allowed = method === 'POST' ? WORKFLOW_WRITABLE : [...WORKFLOW_WRITABLE, 'description'];
  for (const key of Object.keys(input))
    if (!allowed.includes(key)) throw new HttpError(400, 'request/body must NOT have additional properties');
  for (const field of ['name', 'nodes', 'connections', 'settings']) {
    if (!(field in input)) throw new HttpError(400, `request/body must have required property '${field}'`);
  }
  if (!Array.isArray(input.nodes)) throw new HttpError(400, 'request/body/nodes must be array');
  const settings = object(input.settings);
  for (const key of Object.keys(settings)) {
    if (!WORKFLOW_SETTINGS_KEYS.includes(key))
      throw new HttpError(400, 'request/body/settings must NOT have additional properties');
  }
  return input;
}

function workflowTags(state: DoubleState, w: StoredWorkflow) {
  return w.tagIds.map((id) => state.tags.get(id)).filter((t) => t !== undefined);
}

/** The list's shape on n8n 2.41: full bodies, tags and shares, but no description and no folder. */
function listedWorkflow(state: DoubleState, w: StoredWorkflow, excludePinnedData: boolean) {
  return {
    id: w.id,
    name: w.name,
    active: w.active,
    isArchived: w.isArchived,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    versionId: w.versionId,
    triggerCount: w.active ? w.nodes.filter(isTrigger).length : 0,
    nodes: w.nodes,
    connections: w.connections,
    settings: w.settings,
    staticData: w.staticData,
    meta: null,
    ...(excludePinnedData ? {} : { pinData: w.pinData }),
    ...(w.nodeGroups ? { nodeGroups: w.nodeGroups } : {}),
    tags: workflowTags(state, w),
    shared: [
      {
        role: 'workflow:owner',
        workflowId: w.id,
        projectId: w.projectId,
        createdAt: w.createdAt,
        updatedAt: w.updatedAt,
      },
    ],
  };
}

function detailedWorkflow(state: DoubleState, w: StoredWorkflow, excludePinnedData: boolean) {
  const project = state.projects.get(w.projectId);
  const listed = listedWorkflow(state, w, excludePinnedData);
  return {
    ...listed,
    description: w.description,
    parentFolderId: w.parentFolderId,
    shared: listed.shared.map((s) => ({
      ...s,
      project: project ? { id: project.id, name: project.name, type: project.type } : undefined,
    })),
  };
}

/** Ids of workflows this one calls through Execute Workflow nodes (for the publish rule). */
function calledWorkflowIds(w: StoredWorkflow): string[] {
  const ids: string[] = [];
  for (const node of w.nodes) {
    if (node.type !== 'n8n-nodes-base.executeWorkflow') continue;
    const ref = (node.parameters as JsonObject | undefined)?.workflowId;
    const id =
      typeof ref === 'string'
        ? ref
        : typeof ref === 'object' && ref && !Array.isArray(ref)
          ? ref.value
          : undefined;
    if (typeof id === 'string' && id && !id.startsWith('=')) ids.push(id);
  }
  return ids;
}

/** n8n's data-table row filter: {type: and|or, filters: [{columnName, condition, value}]}. */
function rowFilter(raw: string): (row: Record<string, unknown>) => boolean {
  let parsed: { type?: string; filters?: { columnName: string; condition: string; value: unknown }[] };
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    throw new HttpError(400, 'filter must be valid JSON');
  }
  const tests = (parsed.filters ?? []).map(
    ({ columnName, condition, value }) =>
      (row: Record<string, unknown>) => {
        const cell = row[columnName];
        switch (condition) {
          case 'eq':
            return cell === value;
          case 'neq':
            return cell !== value;
          case 'gt':
            return (cell as number) > (value as number);
          case 'gte':
            return (cell as number) >= (value as number);
          case 'lt':
            return (cell as number) < (value as number);
          case 'lte':
            return (cell as number) <= (value as number);
          case 'like':
          case 'ilike': {
            const pattern = new RegExp(
              `^${String(value)
                .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
                .replace(/%/g, '.*')}$`,
              condition === 'ilike' ? 'i' : '',
            );
            return pattern.test(String(cell));
          }
          default:
            throw new HttpError(400, `unknown filter condition ${condition}`);
        }
      },
  );
  return parsed.type === 'or' ? (row) => tests.some((t) => t(row)) : (row) => tests.every((t) => t(row));
}
