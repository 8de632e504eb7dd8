/**
 * POST /n8n-packages/import (n8n 2.24+, beta), the workflow part: a gzipped tar `.n8np` in the
 * multipart field `package`, read as n8n 2.41.1 reads it (manifest.json, then per workflow
 * `<target>/workflow.json` and `<target>/workflow-metadata.json`). What the double keeps faithful,
 * measured on a real 2.41.1 and read in its modules/n8n-packages: the workflow file is parsed by the
 * package schema, which strips unknown keys (of the workflow, its nodes — only id, name, type,
 * typeVersion, position, parameters, credentials, disabled, notes, notesInFlow, continueOnFail,
 * retryOnFail, maxTries, waitBetweenTries, alwaysOutputData, executeOnce, onError, webhookId — their
 * credential references and connection ends) and refuses a file that does not fit with 400; the
 * content is then created as POST /workflows creates it (credentials resolved by id or name, one
 * history version, unpublished), in `projectId` (default the key owner's personal project, unknown:
 * 404) and `folderId` (a folder of another project: 404), with the package id as the workflow's
 * lineage (`sourceWorkflowId`). `workflowIdPolicy=source` (the default) creates each workflow under
 * its package id, `new` mints one. A package id that meets an existing workflow — under `source` any
 * with that id, under `new` one of the project with that lineage, or with that id and no lineage —
 * is a `workflow-conflict` that blocks the whole package with 409 under `workflowConflictPolicy=fail`
 * and is answered `skipped` under `skip`; a non-multipart body is 415; the answer lists
 * `sourceWorkflowId` → `localId`. A manifest without `requirements` (n8n-ark sends none) makes n8n
 * check, bind or create no credential, data table or variable; requirements, folder and project
 * packages and tags are not modelled (400). Node types the double does not know
 * (routes/community-packages.ts) block the import under `missingNodeTypeMode=fail` (the default):
 * 422 with a `missing-node-type` issue per (type, typeVersion) and the workflows using it, nothing
 * written (409 when a conflict is among the issues); `import-anyway` imports them as POST does.
 *
 * POST /n8n-packages/export, the workflow part: the package of the workflows named, laid out as
 * n8n 2.41's exporter writes it (modules/n8n-packages: io/manifest-entry.js, WorkflowSerializer):
 * per workflow `workflows/<slug of its name>-<id>/workflow.json` (`id, name, nodes, connections,
 * settings, parentFolderId` — its folder, null at the root — `isArchived`, `nodeGroups` when there
 * are any, `tagIds` unless `includeTags: false`) and `workflow-metadata.json` (`versionId,
 * publishedVersionId`), then `manifest.json`, which lists each workflow's `target` and states
 * `sourceN8nVersion` (the only answer that carries n8n's version). As measured on 2.41.1: no ids
 * at all is 400 "At least one workflowId, folderId, or projectId is required", more than 300 is 400,
 * an unknown id 400 "1 workflow(s) not found or not accessible. Export aborted.", a key without
 * workflow:export 403 "Forbidden"; the answer is `application/gzip` with an `X-N8n-Export-Counts`
 * header. Folder and project exports (`folders/…/folder.json` nesting), tags, credentials,
 * requirements and sub-workflow dependencies are not modelled.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { tar } from '../../../functions/adapters/n8n/package-format.js';
import type { Json, JsonObject } from '../../../functions/core/n8n-types.js';
import { ApiError, type Context, legacy, ok, type Reply, type Route } from '../http.js';
import type { DoubleState, StoredWorkflow } from '../state.js';
import { knowsNodeType } from './community-packages.js';
import { assertCredentialsAccessible, folderInProject, resolveCredentialReferences } from './workflows.js';

const POLICIES = {
  workflowConflictPolicy: ['new-version', 'fail', 'skip'],
  workflowIdPolicy: ['new', 'source'],
  workflowPublishingPolicy: ['preserve-published-state', 'match-source', 'publish-all', 'unpublish-all'],
  missingNodeTypeMode: ['fail', 'import-anyway'],
} as const;

export function packageRoutes(): Route[] {
  return [
    legacy('POST', '/n8n-packages/import', [{ scope: 'workflow:import' }], importPackage),
    legacy('POST', '/n8n-packages/export', [{ scope: 'workflow:export' }], exportPackage),
  ];
}

function exportPackage(ctx: Context): Reply {
  const body = (ctx.body ?? {}) as {
    workflowIds?: unknown;
    folderIds?: unknown;
    projectIds?: unknown;
    includeTags?: unknown;
  };
  const given = Array.isArray(body.workflowIds)
    ? body.workflowIds.filter((id) => typeof id === 'string')
    : [];
  if (given.length > 300)
    throw new ApiError(400, 'request/body/workflowIds must NOT have more than 300 items');
  if (given.length === 0) {
    if (body.folderIds !== undefined || body.projectIds !== undefined)
      throw new ApiError(400, 'the API double exports workflows only');
    throw new ApiError(400, 'At least one workflowId, folderId, or projectId is required');
  }
  const { state } = ctx;
  // In the order asked for, each once (WorkflowExporter.orderWorkflowsByRequest).
  const ids = [...new Set(given)];
  const missing = ids.filter((id) => !state.workflows.has(id));
  if (missing.length > 0)
    throw new ApiError(400, `${missing.length} workflow(s) not found or not accessible. Export aborted.`);
  const includeTags = body.includeTags !== false;
  const files: { path: string; json: unknown }[] = [];
  const workflows = ids.map((id) => {
    const workflow = state.workflows.get(id) as StoredWorkflow;
    if (!/^[A-Za-z0-9_]+$/.test(id))
      throw new ApiError(
        400,
        `workflows entry "${workflow.name}" has an id that cannot be used as a path segment. Export aborted.`,
      );
    const target = `workflows/${slug(workflow.name, 'workflow')}-${id}`;
    files.push(
      { path: `${target}/workflow.json`, json: serializedWorkflow(workflow, includeTags) },
      {
        path: `${target}/workflow-metadata.json`,
        json: { versionId: workflow.versionId, publishedVersionId: workflow.activeVersionId },
      },
    );
    return { id, name: workflow.name, target };
  });
  const exportedAt = new Date(state.now());
  const manifest = {
    packageFormatVersion: '1',
    exportedAt: exportedAt.toISOString(),
    sourceN8nVersion: state.n8nVersion,
    sourceId: 'n8n-api-double',
    workflows,
  };
  const counts = { workflows: ids.length, folders: 0, credentials: 0, dataTables: 0, variables: 0, tags: 0 };
  return {
    status: 200,
    // The manifest comes last, as n8n writes it once every entry is in.
    raw: gzipSync(
      tar([...files, { path: 'manifest.json', json: manifest }], Math.floor(exportedAt.getTime() / 1000)),
    ),
    headers: {
      'content-type': 'application/gzip',
      'content-disposition': 'attachment; filename="export.n8np"',
      'x-n8n-export-counts': JSON.stringify(counts),
    },
  };
}

/** workflow.json as n8n 2.41's WorkflowSerializer writes it: the folder by id, null at the project's root. */
function serializedWorkflow(workflow: StoredWorkflow, includeTags: boolean): JsonObject {
  return {
    id: workflow.id,
    name: workflow.name,
    nodes: workflow.nodes,
    connections: workflow.connections,
    settings: { ...workflow.settings },
    parentFolderId: workflow.parentFolderId,
    isArchived: workflow.isArchived,
    ...(workflow.nodeGroups.length > 0 ? { nodeGroups: workflow.nodeGroups } : {}),
    ...(includeTags ? { tagIds: [...workflow.tagIds] } : {}),
  };
}

/** n8n's generateSlug: lower case, only a-z 0-9 and single dashes, or the fallback. */
function slug(name: string, fallback: string): string {
  const made = name
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return made || fallback;
}

async function importPackage(ctx: Context): Promise<Reply> {
  const type = ctx.contentType?.split(';')[0]?.trim();
  if (type !== 'multipart/form-data') throw new ApiError(415, `unsupported media type ${type}`);
  const form = await new Response(new Uint8Array(ctx.rawBody), {
    headers: { 'content-type': ctx.contentType ?? '' },
  }).formData();
  const upload = form.get('package');
  if (!(upload instanceof Blob))
    throw new ApiError(400, "request/body must have required property 'package'");
  const field = (name: keyof typeof POLICIES): string | undefined => {
    const value = form.get(name);
    if (value === null) return undefined;
    const allowed: readonly string[] = POLICIES[name];
    if (typeof value !== 'string' || !allowed.includes(value))
      throw new ApiError(
        400,
        `request/body/${name} must be equal to one of the allowed values: ${allowed.join(', ')}`,
      );
    return value;
  };
  const conflictPolicy = field('workflowConflictPolicy');
  if (!conflictPolicy)
    throw new ApiError(400, "request/body must have required property 'workflowConflictPolicy'");
  const idPolicy = field('workflowIdPolicy') ?? 'source';
  field('workflowPublishingPolicy');
  const nodeTypeMode = field('missingNodeTypeMode') ?? 'fail';

  const { state } = ctx;
  const projectField = form.get('projectId');
  const projectId =
    typeof projectField === 'string' && projectField !== '' ? projectField : state.personalProjectId;
  if (!state.projects.has(projectId)) throw new ApiError(404, `Project not found: ${projectId}`);
  const folderField = form.get('folderId');
  const folderId =
    typeof folderField === 'string' && folderField !== ''
      ? folderInProject(state, folderField, projectId)
      : null;

  const files = readPackage(Buffer.from(await upload.arrayBuffer()));
  const manifest = parseManifest(files.get('manifest.json'));
  // Without requirements n8n checks, binds and creates no credential, data table or variable.
  if (jsonOf(files.get('manifest.json'))?.requirements !== undefined)
    throw new ApiError(400, 'the API double does not model package requirements');
  const workflows = manifest.workflows.map((entry) => {
    const path = `${entry.target}/workflow.json`;
    const wire = packageSchema(jsonOf(files.get(path)));
    if (!wire || !jsonOf(files.get(`${entry.target}/workflow-metadata.json`)))
      throw new ApiError(400, `Package workflow file at ${path} failed schema validation.`);
    return { entry, wire };
  });

  const existing = (id: string) => existingFor(state, id, idPolicy, projectId);
  const conflicts = conflictPolicy === 'fail' ? workflows.filter(({ entry }) => existing(entry.id)) : [];
  const imported = workflows.filter(({ entry }) => !(conflictPolicy === 'skip' && existing(entry.id)));
  const missing = nodeTypeMode === 'fail' ? missingNodeTypes(state, imported) : [];
  const issues = [
    ...conflicts.map(({ entry }) => ({
      type: 'workflow-conflict',
      sourceWorkflowId: entry.id,
      existingWorkflowId: existing(entry.id)?.id,
      name: existing(entry.id)?.name,
    })),
    ...missing,
  ];
  if (issues.length > 0) {
    return {
      status: conflicts.length > 0 ? 409 : 422,
      body: {
        message: `Import blocked: ${issues.length} issue(s) must be resolved before the package can be imported.`,
        issues,
      },
    };
  }
  // As WorkflowCreationService does for POST /workflows too: credentials by id or name, then access.
  for (const { wire } of workflows) resolveCredentialReferences(state, wire.nodes, projectId);
  for (const { wire } of workflows) assertCredentialsAccessible(ctx, wire.nodes);

  const outcomes = workflows.map(({ entry, wire }) => {
    const found = existing(entry.id);
    if (found) return { entry, workflow: found, status: 'skipped' as const };
    const workflow = state.createWorkflow(
      {
        name: wire.name,
        nodes: wire.nodes,
        connections: wire.connections,
        settings: wire.settings ?? {},
        ...(wire.nodeGroups ? { nodeGroups: wire.nodeGroups } : {}),
      },
      { projectId, parentFolderId: folderId, ...(idPolicy === 'source' ? { id: entry.id } : {}) },
    );
    workflow.sourceWorkflowId = entry.id;
    if (wire.isArchived) workflow.isArchived = true;
    return { entry, workflow, status: 'created' as const };
  });
  return ok(importAnswer(manifest, outcomes));
}

/**
 * The workflow a package id meets in the target (WorkflowImporter.plan): under `source` any workflow
 * with that id; under `new` one of the project whose lineage is that id, or whose own id is, when
 * it has no lineage (WorkflowImportMatchService.findBySourceWorkflowIds).
 */
function existingFor(
  state: DoubleState,
  id: string,
  idPolicy: string,
  projectId: string,
): StoredWorkflow | undefined {
  if (idPolicy === 'source') return state.workflows.get(id);
  for (const workflow of state.workflows.values())
    if (workflow.projectId === projectId && workflow.sourceWorkflowId === id) return workflow;
  const own = state.workflows.get(id);
  return own && own.projectId === projectId && !own.sourceWorkflowId ? own : undefined;
}

function importAnswer(
  manifest: Manifest,
  outcomes: { entry: { id: string }; workflow: StoredWorkflow; status: 'created' | 'skipped' }[],
): JsonObject {
  return {
    package: {
      sourceN8nVersion: manifest.sourceN8nVersion,
      sourceId: manifest.sourceId,
      exportedAt: manifest.exportedAt,
    },
    workflows: outcomes.map(({ entry, workflow, status }) => ({
      sourceWorkflowId: entry.id,
      localId: workflow.id,
      name: workflow.name,
      projectId: workflow.projectId,
      parentFolderId: workflow.parentFolderId,
      activeVersionId: workflow.activeVersionId,
      isArchived: workflow.isArchived,
      publishing: { state: 'unchanged' },
      status,
    })),
    removedWorkflows: [],
    removedFolders: [],
    folders: [],
    projects: [],
    bindings: {
      workflows: Object.fromEntries(outcomes.map(({ entry, workflow }) => [entry.id, workflow.id])),
      credentials: {},
    },
    credentials: { matched: [], stubbed: [] },
    dataTables: { matched: 0, created: 0 },
    variables: { matched: [], created: [], stubbed: [], updated: [], missing: [] },
    tags: { matched: [], created: [], renamed: [], reconciled: [], skipped: [] },
  };
}

/** n8n's collectMissingNodeTypes: each (type, typeVersion) the instance lacks, with the package workflows using it. */
function missingNodeTypes(state: DoubleState, workflows: { entry: { id: string }; wire: WorkflowFile }[]) {
  const usage = new Map<string, { type: string; typeVersion: number; usedByWorkflows: string[] }>();
  for (const { entry, wire } of workflows)
    for (const node of wire.nodes as { type?: unknown; typeVersion?: unknown }[]) {
      if (typeof node.type !== 'string') continue;
      const typeVersion = typeof node.typeVersion === 'number' ? node.typeVersion : 1;
      const key = `${node.type}@${typeVersion}`;
      const use = usage.get(key) ?? { type: node.type, typeVersion, usedByWorkflows: [] };
      if (!use.usedByWorkflows.includes(entry.id)) use.usedByWorkflows.push(entry.id);
      usage.set(key, use);
    }
  return [...usage.values()]
    .filter((use) => !knowsNodeType(state, use.type, use.typeVersion))
    .map(({ type, typeVersion, usedByWorkflows }) => ({
      type: 'missing-node-type',
      nodeType: type,
      typeVersion,
      usedByWorkflows,
    }));
}

interface Manifest {
  exportedAt: string;
  sourceN8nVersion: string;
  sourceId: string;
  workflows: { id: string; name: string; target: string }[];
}

function parseManifest(bytes: Buffer | undefined): Manifest {
  const manifest = jsonOf(bytes);
  const text = (v: unknown) => typeof v === 'string' && v.length > 0;
  const workflows = manifest?.workflows ?? [];
  const valid =
    manifest !== undefined &&
    manifest.packageFormatVersion === '1' &&
    text(manifest.exportedAt) &&
    text(manifest.sourceN8nVersion) &&
    text(manifest.sourceId) &&
    Array.isArray(workflows) &&
    workflows.every((w) => {
      const e = w as JsonObject;
      return text(e?.id) && typeof e.name === 'string' && text(e.target);
    }) &&
    new Set(workflows.map((w) => (w as JsonObject).id)).size === workflows.length;
  if (!valid) throw new ApiError(400, 'Package manifest failed validation');
  return { ...(manifest as unknown as Manifest), workflows: workflows as Manifest['workflows'] };
}

interface WorkflowFile {
  id: string;
  name: string;
  nodes: JsonObject[];
  connections: JsonObject;
  nodeGroups?: JsonObject[];
  settings?: JsonObject;
  parentFolderId: string | null;
  isArchived: boolean;
}

/** Node keys n8n 2.41's package schema keeps (spec/serialized/workflow.schema.js); zod strips the rest. */
const NODE_KEYS: Record<string, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && v !== '',
  name: (v) => typeof v === 'string' && v !== '',
  type: (v) => typeof v === 'string' && v !== '',
  typeVersion: (v) => typeof v === 'number' && Number.isFinite(v),
  position: (v) => Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number'),
  parameters: (v) => isObject(v),
  credentials: (v) => v === undefined || isObject(v),
  disabled: (v) => v === undefined || typeof v === 'boolean',
  notes: (v) => v === undefined || typeof v === 'string',
  notesInFlow: (v) => v === undefined || typeof v === 'boolean',
  continueOnFail: (v) => v === undefined || typeof v === 'boolean',
  retryOnFail: (v) => v === undefined || typeof v === 'boolean',
  maxTries: (v) => v === undefined || typeof v === 'number',
  waitBetweenTries: (v) => v === undefined || typeof v === 'number',
  alwaysOutputData: (v) => v === undefined || typeof v === 'boolean',
  executeOnce: (v) => v === undefined || typeof v === 'boolean',
  onError: (v) => v === undefined || typeof v === 'string',
  webhookId: (v) => v === undefined || typeof v === 'string',
};

/**
 * A workflow file parsed as n8n's package schema parses it: unknown keys stripped (of the workflow,
 * its nodes, credential references and connection ends), undefined when it does not fit.
 */
function packageSchema(value: JsonObject | undefined): WorkflowFile | undefined {
  if (!value || typeof value.id !== 'string' || value.id === '') return undefined;
  if (typeof value.name !== 'string' || value.name === '' || typeof value.isArchived !== 'boolean')
    return undefined;
  if (!(value.parentFolderId === null || typeof value.parentFolderId === 'string')) return undefined;
  if (!Array.isArray(value.nodes) || !isObject(value.connections)) return undefined;
  if (value.settings !== undefined && !isObject(value.settings)) return undefined;
  const nodes: JsonObject[] = [];
  for (const node of value.nodes) {
    if (!isObject(node)) return undefined;
    const kept: JsonObject = {};
    for (const [key, valid] of Object.entries(NODE_KEYS)) {
      if (!valid(node[key])) return undefined;
      if (node[key] !== undefined) kept[key] = node[key];
    }
    if (kept.credentials) {
      const credentials = stripCredentials(kept.credentials as JsonObject);
      if (!credentials) return undefined;
      kept.credentials = credentials;
    }
    nodes.push(kept);
  }
  const connections = stripConnections(value.connections);
  if (!connections) return undefined;
  return {
    id: value.id,
    name: value.name,
    nodes,
    connections,
    ...(Array.isArray(value.nodeGroups) ? { nodeGroups: value.nodeGroups as JsonObject[] } : {}),
    ...(value.settings !== undefined ? { settings: value.settings as JsonObject } : {}),
    parentFolderId: value.parentFolderId,
    isArchived: value.isArchived,
  };
}

function stripCredentials(credentials: JsonObject): JsonObject | undefined {
  const kept: JsonObject = {};
  for (const [type, ref] of Object.entries(credentials)) {
    if (!isObject(ref) || typeof ref.name !== 'string') return undefined;
    if (!(ref.id === null || typeof ref.id === 'string')) return undefined;
    kept[type] = {
      id: ref.id,
      name: ref.name,
      ...(typeof ref.__aiGatewayManaged === 'boolean' ? { __aiGatewayManaged: ref.__aiGatewayManaged } : {}),
    };
  }
  return kept;
}

function stripConnections(connections: JsonObject): JsonObject | undefined {
  const kept: JsonObject = {};
  for (const [from, byType] of Object.entries(connections)) {
    if (!isObject(byType)) return undefined;
    const types: JsonObject = {};
    for (const [type, outputs] of Object.entries(byType)) {
      if (!Array.isArray(outputs)) return undefined;
      const ends = outputs.map((list) => {
        if (list === null) return null;
        if (!Array.isArray(list)) return undefined;
        const out = list.map((e) =>
          isObject(e) &&
          typeof e.node === 'string' &&
          typeof e.type === 'string' &&
          typeof e.index === 'number'
            ? { node: e.node, type: e.type, index: e.index }
            : undefined,
        );
        return out.includes(undefined) ? undefined : (out as JsonObject[]);
      });
      if (ends.includes(undefined)) return undefined;
      types[type] = ends as Json;
    }
    kept[from] = types;
  }
  return kept;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonOf(bytes: Buffer | undefined): JsonObject | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** The regular files of a gzipped ustar/GNU tar, by path ("./" prefixes dropped). */
function readPackage(gzipped: Buffer): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(gzipped);
  } catch {
    throw new ApiError(400, 'Failed to read package manifest');
  }
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const prefix = text(345, 155);
    const name = (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100)).replace(/^\.\//, '');
    const type = text(156, 1);
    if (type === '0' || type === '') files.set(name, tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
