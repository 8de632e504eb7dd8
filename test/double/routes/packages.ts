/**
 * POST /n8n-packages/import (n8n 2.24+, beta), the workflow part: a gzipped tar `.n8np` in the
 * multipart field `package`, read as n8n 2.41.1 reads it (manifest.json, then per workflow
 * `<target>/workflow.json` and `<target>/workflow-metadata.json`). What the double keeps faithful,
 * measured on a real 2.41.1: `workflowIdPolicy=source` (the default) creates each workflow under
 * its package id, `new` mints one; a workflow whose id exists is a `workflow-conflict` that blocks
 * the whole package with 409 under `workflowConflictPolicy=fail` and is answered `skipped` under
 * `skip`; a non-multipart body is 415; the answer lists `sourceWorkflowId` → `localId`. Credential,
 * data-table, variable and tag requirements, folders and project packages are not modelled
 * (n8n-ark sends none). An id taken in another project is treated as a conflict too (not measured).
 * Node types the double does not know (routes/community-packages.ts) block the import under
 * `missingNodeTypeMode=fail` (the default): 422 with a `missing-node-type` issue per (type,
 * typeVersion) and the workflows using it, nothing written (409 when a conflict is among the issues).
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
import { tar } from '../../../functions/adapters/n8n-package.js';
import type { JsonObject } from '../../../functions/core/n8n-types.js';
import { ApiError, type Context, legacy, ok, type Reply, type Route } from '../http.js';
import type { DoubleState, StoredWorkflow } from '../state.js';
import { knowsNodeType } from './community-packages.js';

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

  const files = readPackage(Buffer.from(await upload.arrayBuffer()));
  const manifest = parseManifest(files.get('manifest.json'));
  const workflows = manifest.workflows.map((entry) => {
    const path = `${entry.target}/workflow.json`;
    const wire = jsonOf(files.get(path));
    if (!isWorkflowFile(wire) || !jsonOf(files.get(`${entry.target}/workflow-metadata.json`)))
      throw new ApiError(400, `Package workflow file at ${path} failed schema validation.`);
    return { entry, wire };
  });

  // Under idPolicy "new" a package id never meets an existing workflow.
  const exists = (id: string) => idPolicy === 'source' && state.workflows.has(id);
  const conflicts = conflictPolicy === 'fail' ? workflows.filter(({ entry }) => exists(entry.id)) : [];
  const imported = workflows.filter(({ entry }) => !(conflictPolicy === 'skip' && exists(entry.id)));
  const missing = nodeTypeMode === 'fail' ? missingNodeTypes(state, imported) : [];
  const issues = [
    ...conflicts.map(({ entry }) => ({
      type: 'workflow-conflict',
      sourceWorkflowId: entry.id,
      existingWorkflowId: entry.id,
      name: state.workflows.get(entry.id)?.name,
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

  const outcomes = workflows.map(({ entry, wire }) => {
    const existing = exists(entry.id) ? state.workflows.get(entry.id) : undefined;
    if (existing) return { entry, workflow: existing, status: 'skipped' as const };
    const workflow = state.createWorkflow(
      {
        name: wire.name,
        nodes: wire.nodes,
        connections: wire.connections,
        settings: wire.settings ?? {},
      },
      { projectId, parentFolderId: null, ...(idPolicy === 'source' ? { id: entry.id } : {}) },
    );
    if (wire.isArchived) workflow.isArchived = true;
    return { entry, workflow, status: 'created' as const };
  });
  return ok({
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
  });
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
  settings?: JsonObject;
  isArchived: boolean;
}

function isWorkflowFile(value: JsonObject | undefined): value is JsonObject & WorkflowFile {
  return (
    value !== undefined &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    value.name.length > 0 &&
    Array.isArray(value.nodes) &&
    typeof value.connections === 'object' &&
    value.connections !== null &&
    typeof value.isArchived === 'boolean' &&
    (value.parentFolderId === null || typeof value.parentFolderId === 'string')
  );
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
