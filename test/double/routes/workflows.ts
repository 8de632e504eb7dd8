/**
 * /workflows: n8n 2.41.1's WorkflowsPublicController, answered key for key.
 *
 * Folder placement: neither GET /workflows nor GET /workflows/{id} carries `parentFolderId` or
 * `parentFolder` (the controller's DTOs have no such field and zod strips anything else); only
 * POST /workflows answers with `parentFolder` (the folder or null). The double does the same.
 */

import type { JsonObject } from '../../../functions/core/n8n-types.js';
import { ApiError, type Context, controller, found, ok, type Route } from '../http.js';
import { nextCursor, slice, workflowsWindow } from '../paging.js';
import { renderProject, renderTag } from '../render.js';
import { type DoubleState, isTriggerNode, type StoredWorkflow, type WorkflowContent } from '../state.js';
import {
  array,
  boolean,
  custom,
  nullable,
  number,
  object,
  oneOf,
  optional,
  readOnly,
  record,
  refine,
  type Shape,
  string,
  union,
  validate,
} from '../validation.js';
import { unrecognizedNodeType } from './community-packages.js';

// ---- request schemas (n8n's base-workflow-public.dto.ts, in its key order)

const customTelemetryTag = object({ key: string(), value: string() }, { strict: true });

const node = object(
  {
    id: optional(string()),
    name: optional(string()),
    webhookId: optional(string()),
    disabled: optional(boolean),
    notesInFlow: optional(boolean),
    notes: optional(string()),
    type: optional(string()),
    typeVersion: optional(number),
    executeOnce: optional(boolean),
    alwaysOutputData: optional(boolean),
    retryOnFail: optional(boolean),
    maxTries: optional(number),
    waitBetweenTries: optional(number),
    continueOnFail: optional(boolean),
    onError: optional(string()),
    position: optional(array(number)),
    parameters: optional(record),
    credentials: optional(record),
    customTelemetryTags: optional(object({ tag: optional(array(customTelemetryTag)) }, { strict: true })),
    createdAt: readOnly,
    updatedAt: readOnly,
  },
  { strict: true },
);

const nodeGroup = object(
  {
    id: string(),
    name: string(),
    description: optional(string({ max: [155] })),
    nodeIds: array(string()),
  },
  { strict: true },
);

/** The `settings` keys n8n accepts; it silently drops binaryMode and credentialResolverId. */
const settings = object(
  {
    saveExecutionProgress: optional(boolean),
    saveManualExecutions: optional(boolean),
    saveDataErrorExecution: optional(oneOf(['all', 'none'])),
    saveDataSuccessExecution: optional(oneOf(['all', 'none'])),
    executionTimeout: optional(number),
    errorWorkflow: optional(string()),
    timezone: optional(string()),
    executionOrder: optional(string()),
    binaryMode: optional(oneOf(['separate', 'combined'])),
    callerPolicy: optional(oneOf(['any', 'none', 'workflowsFromAList', 'workflowsFromSameOwner'])),
    callerIds: optional(string()),
    timeSavedMode: optional(oneOf(['fixed', 'dynamic'])),
    timeSavedPerExecution: optional(number),
    redactionPolicy: optional(oneOf(['none', 'non-manual', 'manual-only', 'all'])),
    availableInMCP: optional(boolean),
    customTelemetryTags: optional(array(customTelemetryTag)),
    credentialResolverId: optional(string()),
  },
  {
    strict: true,
    transform: ({ binaryMode: _binaryMode, credentialResolverId: _resolverId, ...kept }) => kept,
  },
);

const shared = object(
  {
    role: optional(string()),
    workflowId: optional(string()),
    projectId: optional(string()),
    project: optional(object({ id: readOnly, name: optional(string()), type: readOnly })),
    createdAt: readOnly,
    updatedAt: readOnly,
  },
  { strict: true },
);

const isJsonString = (value: string) => {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
};

const writeShape: Shape = {
  id: readOnly,
  name: string(),
  active: readOnly,
  createdAt: readOnly,
  updatedAt: readOnly,
  isArchived: readOnly,
  versionId: readOnly,
  triggerCount: readOnly,
  nodes: array(node),
  connections: custom(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be object',
  ),
  settings,
  nodeGroups: optional(array(nodeGroup)),
  staticData: optional(
    nullable(union<unknown>(refine(string(), isJsonString, 'must be a JSON string'), record)),
  ),
  pinData: optional(nullable(record)),
  projectId: optional(string()),
  parentFolderId: optional(nullable(string())),
  meta: readOnly,
  tags: readOnly,
  shared: optional(array(shared)),
  activeVersion: readOnly,
};

/** POST accepts no `description` (refused as an unknown key, measured); PUT has no `projectId`. */
const createBody = object(writeShape, { strict: true });
const { projectId: _projectId, ...updateShape } = writeShape;
const updateBody = object({ ...updateShape, description: optional(string()) }, { strict: true });

const trueOrFalse = optional(oneOf(['true', 'false']));
const listQuery = object({ active: trueOrFalse, excludePinnedData: trueOrFalse });

/** n8n's PROJECT_ROOT: a parentFolderId meaning "no folder". */
const PROJECT_ROOT = '0';

// ---- rendering (field order as n8n's response DTOs put them)

function tagsOf(state: DoubleState, workflow: StoredWorkflow) {
  return workflow.tagIds.flatMap((id) => {
    const tag = state.tags.get(id);
    return tag ? [renderTag(tag)] : [];
  });
}

function fields(
  state: DoubleState,
  workflow: StoredWorkflow,
  options: { excludePinnedData?: boolean; withTags: boolean },
) {
  return {
    id: workflow.id,
    name: workflow.name,
    description: workflow.description,
    active: workflow.active,
    activeVersionId: workflow.activeVersionId,
    createdAt: workflow.createdAt,
    updatedAt: workflow.updatedAt,
    isArchived: workflow.isArchived,
    versionId: workflow.versionId,
    versionCounter: workflow.versionCounter,
    sourceWorkflowId: workflow.sourceWorkflowId ?? null,
    triggerCount: workflow.triggerCount,
    nodes: workflow.nodes,
    connections: workflow.connections,
    nodeGroups: workflow.nodeGroups,
    settings: workflow.settings,
    staticData: workflow.staticData,
    ...(options.excludePinnedData ? {} : { pinData: workflow.pinData }),
    meta: workflow.meta,
    ...(options.withTags ? { tags: tagsOf(state, workflow) } : {}),
  };
}

function activeVersion(workflow: StoredWorkflow, withHistory: boolean) {
  const version = workflow.activeVersion;
  if (!version) return null;
  return {
    versionId: version.versionId,
    workflowId: workflow.id,
    nodes: version.nodes,
    connections: version.connections,
    nodeGroups: version.nodeGroups,
    authors: version.authors,
    name: null,
    description: null,
    autosaved: false,
    createdAt: version.createdAt,
    updatedAt: version.updatedAt,
    ...(withHistory ? { workflowPublishHistory: version.publishHistory } : {}),
  };
}

function sharedWithProject(state: DoubleState, workflow: StoredWorkflow) {
  const project = state.projects.get(workflow.projectId);
  return [
    {
      role: 'workflow:owner',
      workflowId: workflow.id,
      projectId: workflow.projectId,
      ...(project ? { project: renderProject(project) } : {}),
      createdAt: workflow.sharedAt,
      updatedAt: workflow.sharedAt,
    },
  ];
}

/** GET /workflows item: no description, no versionCounter, shares without project, no folder. */
function listItem(state: DoubleState, workflow: StoredWorkflow, excludePinnedData: boolean) {
  return {
    id: workflow.id,
    name: workflow.name,
    active: workflow.active,
    activeVersionId: workflow.activeVersionId,
    createdAt: workflow.createdAt,
    updatedAt: workflow.updatedAt,
    isArchived: workflow.isArchived,
    versionId: workflow.versionId,
    triggerCount: workflow.triggerCount,
    nodes: workflow.nodes,
    connections: workflow.connections,
    nodeGroups: workflow.nodeGroups,
    settings: workflow.settings,
    staticData: workflow.staticData,
    ...(excludePinnedData ? {} : { pinData: workflow.pinData }),
    meta: workflow.meta,
    tags: tagsOf(state, workflow),
    shared: [
      {
        role: 'workflow:owner',
        workflowId: workflow.id,
        projectId: workflow.projectId,
        createdAt: workflow.sharedAt,
        updatedAt: workflow.sharedAt,
      },
    ],
    activeVersion: activeVersion(workflow, false),
  };
}

/** GET /workflows/{id}, archive, unarchive, unpublish: fields, shares with project, active version. */
function detail(
  state: DoubleState,
  workflow: StoredWorkflow,
  options: { excludePinnedData?: boolean; withTags: boolean },
) {
  return {
    ...fields(state, workflow, options),
    shared: sharedWithProject(state, workflow),
    activeVersion: activeVersion(workflow, true),
  };
}

// ---- rules

function workflowOr404(state: DoubleState, id: string | undefined, message = 'Not Found'): StoredWorkflow {
  return found(state.workflows.get(id ?? ''), message);
}

/**
 * n8n's replaceInvalidCredentials: a node credential reference whose id is unknown (or null) is
 * re-pointed at the one credential of that type and name in the project, if there is exactly one.
 */
export function resolveCredentialReferences(
  state: DoubleState,
  nodes: JsonObject[],
  projectId: string,
): void {
  for (const node of nodes) {
    const credentials = node.credentials;
    if (
      !credentials ||
      typeof credentials !== 'object' ||
      Array.isArray(credentials) ||
      node.disabled === true
    )
      continue;
    for (const [type, reference] of Object.entries(credentials)) {
      if (reference === null || reference === undefined) continue;
      const ref = typeof reference === 'string' ? { id: null, name: reference } : (reference as JsonObject);
      if (typeof ref.id === 'string') {
        const byId = state.credentials.get(ref.id);
        if (byId && byId.type === type) {
          credentials[type] = { id: byId.id, name: byId.name };
          continue;
        }
      }
      const byName = [...state.credentials.values()].filter(
        (c) => c.type === type && c.name === ref.name && c.projectId === projectId,
      );
      if (byName.length === 1 && byName[0]) credentials[type] = { id: byName[0].id, name: byName[0].name };
    }
  }
}

/** With feat:sharing, n8n refuses to save a workflow whose nodes use credentials the user cannot see. */
export function assertCredentialsAccessible(ctx: Context, nodes: JsonObject[]): void {
  if (!ctx.isLicensed('feat:sharing')) return;
  for (const node of nodes) {
    const credentials = node.credentials as Record<string, JsonObject | null> | undefined;
    for (const reference of Object.values(credentials ?? {})) {
      const id = reference?.id;
      if (typeof id === 'string' && !ctx.state.credentials.has(id))
        throw new ApiError(
          400,
          'The workflow you are trying to save contains credentials that are not shared with you',
        );
    }
  }
}

export function folderInProject(state: DoubleState, folderId: string, projectId: string): string {
  const folder = state.folders.get(folderId);
  if (!folder || folder.projectId !== projectId)
    throw new ApiError(404, `Could not find the folder: ${folderId}`);
  return folder.id;
}

function content(input: Record<string, unknown>): WorkflowContent {
  const staticData = input.staticData;
  return {
    name: input.name as string,
    nodes: input.nodes as JsonObject[],
    connections: input.connections as JsonObject,
    settings: input.settings as JsonObject,
    ...(staticData === undefined
      ? {}
      : {
          staticData:
            typeof staticData === 'string'
              ? (JSON.parse(staticData) as JsonObject)
              : (staticData as JsonObject | null),
        }),
    ...(input.pinData === undefined ? {} : { pinData: input.pinData as JsonObject | null }),
    ...(input.nodeGroups === undefined ? {} : { nodeGroups: input.nodeGroups as JsonObject[] }),
    ...(input.description === undefined ? {} : { description: input.description as string }),
  };
}

/** The sub-workflow rule n8n 2.41 applies before publishing (workflow-validation.service.ts). */
function unpublishedCallees(state: DoubleState, workflow: StoredWorkflow): string[] {
  const problems: string[] = [];
  for (const node of workflow.nodes) {
    if (node.type !== 'n8n-nodes-base.executeWorkflow' || node.disabled === true) continue;
    const parameters = (node.parameters ?? {}) as JsonObject;
    const reference = parameters.workflowId;
    const calleeId =
      typeof reference === 'string'
        ? reference
        : reference && typeof reference === 'object' && !Array.isArray(reference) && 'value' in reference
          ? String(reference.value)
          : undefined;
    const source = typeof parameters.source === 'string' ? parameters.source : undefined;
    if (!calleeId || calleeId.startsWith('=') || (source && source !== 'database')) continue;
    if (calleeId === workflow.id) continue;
    const callee = state.workflows.get(calleeId);
    if (!callee || callee.activeVersionId === null) {
      const name = callee ? ` ("${callee.name}")` : '';
      problems.push(
        `Node "${String(node.name)}" references workflow ${calleeId}${name} which is not published`,
      );
    }
  }
  return problems;
}

function publish(ctx: Context): ReturnType<typeof ok> {
  const { state } = ctx;
  const workflow = workflowOr404(
    state,
    ctx.params.workflowId,
    'You do not have permission to activate this workflow. Ask the owner to share it with you.',
  );
  if (workflow.isArchived) throw new ApiError(400, 'Cannot activate an archived workflow.');
  // Publishing an older version of the history is not modelled: only the current and the published one.
  const versionId = (ctx.body as { versionId?: unknown } | undefined)?.versionId;
  if (versionId !== undefined && versionId !== workflow.versionId && versionId !== workflow.activeVersionId)
    throw new ApiError(404, 'Version not found');
  const unknownType = unrecognizedNodeType(state, workflow.nodes);
  if (unknownType) throw new ApiError(400, `Unrecognized node type: ${unknownType}`);
  if (!workflow.nodes.some(isTriggerNode))
    throw new ApiError(
      400,
      'Workflow cannot be activated because it has no trigger node. At least one trigger, webhook, or polling node is required.',
    );
  const problems = unpublishedCallees(state, workflow);
  if (versionId !== undefined && versionId === workflow.activeVersionId && versionId !== workflow.versionId)
    return ok({
      ...fields(state, workflow, { withTags: false }),
      activeVersion: activeVersion(workflow, true),
    });
  if (problems.length > 0)
    throw new ApiError(
      400,
      `Cannot publish workflow: ${problems.join('; ')}. Please publish all referenced sub-workflows first.`,
    );
  // A webhook another published workflow holds (registered, not merely published): 409, left unpublished.
  if (state.webhooks.conflict(workflow.id, workflow.nodes))
    throw new ApiError(409, 'There is a conflict with one of the webhooks.');
  state.publishWorkflow(workflow);
  // A name or description given to publish names the version in the history (unlicensed too).
  const named = ctx.body as { name?: unknown; description?: unknown } | undefined;
  const saved = state.history.get(workflow.id)?.find((v) => v.versionId === workflow.versionId);
  if (saved && typeof named?.name === 'string') saved.name = named.name;
  if (saved && typeof named?.description === 'string') saved.description = named.description;
  return ok({
    ...fields(state, workflow, { withTags: false }),
    activeVersion: activeVersion(workflow, true),
  });
}

function unpublish(ctx: Context): ReturnType<typeof ok> {
  const { state } = ctx;
  const workflow = workflowOr404(
    state,
    ctx.params.workflowId,
    'You do not have permission to deactivate this workflow. Ask the owner to share it with you.',
  );
  state.unpublishWorkflow(workflow);
  return ok(detail(state, workflow, { withTags: false }));
}

export function workflowRoutes(): Route[] {
  return [
    controller('GET', '/workflows', 'workflow:list', (ctx) => {
      const { state, query } = ctx;
      const flags = validate(listQuery, Object.fromEntries(query), 'query');
      if (!flags.ok) throw new ApiError(400, flags.message);
      const window = workflowsWindow(query);
      const name = query.get('name')?.trim().toLowerCase();
      const active = query.get('active');
      const projectId = query.get('projectId');
      const tagNames = query
        .get('tags')
        ?.split(',')
        .map((t) => t.trim());
      const excludePinnedData = query.get('excludePinnedData') === 'true';
      let ids = state.workflowIdsInListOrder();
      if (name || active !== null || projectId || tagNames) {
        ids = ids.filter((id) => {
          const workflow = state.workflows.get(id);
          if (!workflow) return false;
          if (name && !workflow.name.toLowerCase().includes(name)) return false;
          if (active !== null && (workflow.activeVersionId !== null) !== (active === 'true')) return false;
          if (projectId && workflow.projectId !== projectId) return false;
          if (tagNames) {
            const names = new Set(workflow.tagIds.map((tagId) => state.tags.get(tagId)?.name));
            if (!tagNames.every((tagName) => names.has(tagName))) return false;
          }
          return true;
        });
      }
      const data = slice(ids, window).flatMap((id) => {
        const workflow = state.workflows.get(id);
        return workflow ? [listItem(state, workflow, excludePinnedData)] : [];
      });
      return ok({ data, nextCursor: nextCursor(window, ids.length) });
    }),

    controller('POST', '/workflows', 'workflow:create', (ctx) => {
      const { state } = ctx;
      const parsed = validate(createBody, ctx.body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const input = parsed.value;
      const projectId = (input.projectId as string | undefined) ?? state.personalProjectId;
      if (!state.projects.has(projectId)) throw new ApiError(404, 'Project not found');
      const nodes = input.nodes as JsonObject[];
      resolveCredentialReferences(state, nodes, projectId);
      const rawFolder = input.parentFolderId as string | null | undefined;
      const parentFolderId =
        rawFolder && rawFolder !== PROJECT_ROOT ? folderInProject(state, rawFolder, projectId) : null;
      assertCredentialsAccessible(ctx, nodes);
      const workflow = state.createWorkflow(content(input), { projectId, parentFolderId });
      const folder = parentFolderId ? state.folders.get(parentFolderId) : undefined;
      return ok({
        ...detail(state, workflow, { withTags: true }),
        parentFolder: folder
          ? {
              id: folder.id,
              name: folder.name,
              parentFolderId: folder.parentFolderId,
              createdAt: folder.createdAt,
              updatedAt: folder.updatedAt,
            }
          : null,
      });
    }),

    controller('GET', '/workflows/:workflowId', 'workflow:read', (ctx) => {
      const flags = validate(listQuery, Object.fromEntries(ctx.query), 'query');
      if (!flags.ok) throw new ApiError(400, flags.message);
      const workflow = workflowOr404(ctx.state, ctx.params.workflowId);
      return ok(
        detail(ctx.state, workflow, {
          excludePinnedData: ctx.query.get('excludePinnedData') === 'true',
          withTags: true,
        }),
      );
    }),

    controller('PUT', '/workflows/:workflowId', 'workflow:update', (ctx) => {
      const { state } = ctx;
      const parsed = validate(updateBody, ctx.body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const republish = validate(
        object({ publishIfActive: trueOrFalse }),
        Object.fromEntries(ctx.query),
        'query',
      );
      if (!republish.ok) throw new ApiError(400, republish.message);
      const input = parsed.value;
      const workflow = workflowOr404(
        state,
        ctx.params.workflowId,
        'You do not have permission to update this workflow. Ask the owner to share it with you.',
      );
      if (workflow.isArchived) throw new ApiError(400, 'Cannot update an archived workflow.');
      const nodes = input.nodes as JsonObject[];
      resolveCredentialReferences(state, nodes, workflow.projectId);
      assertCredentialsAccessible(ctx, nodes);
      const rawFolder = input.parentFolderId as string | null | undefined;
      const parentFolderId =
        rawFolder === undefined
          ? undefined
          : rawFolder === null || rawFolder === PROJECT_ROOT
            ? null
            : folderInProject(state, rawFolder, workflow.projectId);
      state.updateWorkflow(workflow, content(input), {
        ...(parentFolderId === undefined ? {} : { parentFolderId }),
        republish: ctx.query.get('publishIfActive') !== 'false',
      });
      return ok({
        ...fields(state, workflow, { withTags: true }),
        activeVersion: activeVersion(workflow, true),
      });
    }),

    controller('DELETE', '/workflows/:workflowId', 'workflow:delete', (ctx) => {
      const { state } = ctx;
      const workflow = workflowOr404(state, ctx.params.workflowId);
      if (workflow.activeVersionId !== null)
        throw new ApiError(409, 'Cannot delete a published workflow. Unpublish it before deleting.');
      if (
        workflow.unpublishedAt !== undefined &&
        Date.now() - workflow.unpublishedAt < state.unpublishSettleMs
      )
        throw new ApiError(409, 'Workflow is still being unpublished. Please try again in a few moments.');
      const answer = {
        ...fields(state, workflow, { withTags: false }),
        shared: sharedWithProject(state, workflow),
      };
      state.deleteWorkflow(workflow.id);
      return ok(answer);
    }),

    controller('POST', '/workflows/:workflowId/archive', 'workflow:delete', (ctx) => {
      const workflow = workflowOr404(ctx.state, ctx.params.workflowId, 'Workflow not found');
      ctx.state.archiveWorkflow(workflow);
      return ok(detail(ctx.state, workflow, { withTags: false }));
    }),

    controller('POST', '/workflows/:workflowId/unarchive', 'workflow:delete', (ctx) => {
      const workflow = workflowOr404(ctx.state, ctx.params.workflowId, 'Workflow not found');
      if (!workflow.isArchived) throw new ApiError(400, 'Workflow is not archived.');
      ctx.state.unarchiveWorkflow(workflow);
      return ok(detail(ctx.state, workflow, { withTags: false }));
    }),

    controller('PUT', '/workflows/:workflowId/transfer', 'workflow:move', (ctx) => {
      const { state } = ctx;
      const body = validate(object({ destinationProjectId: string() }), ctx.body, 'body');
      if (!body.ok) throw new ApiError(400, body.message);
      const workflow = workflowOr404(
        state,
        ctx.params.workflowId,
        `Could not find workflow with the id "${ctx.params.workflowId}". Make sure you have the permission to move it.`,
      );
      const destinationId = body.value.destinationProjectId as string;
      if (!state.projects.has(destinationId))
        throw new ApiError(
          404,
          `Could not find project with the id "${destinationId}". Make sure you have the permission to create workflows in it.`,
        );
      if (destinationId === workflow.projectId && workflow.parentFolderId === null)
        throw new ApiError(
          400,
          "You can't transfer a workflow into the same destination it already belongs to.",
        );
      workflow.projectId = destinationId;
      workflow.parentFolderId = null;
      return { status: 204 };
    }),

    controller('POST', '/workflows/:workflowId/publish', 'workflow:activate', publish),
    controller('POST', '/workflows/:workflowId/activate', 'workflow:activate', publish),
    controller('POST', '/workflows/:workflowId/unpublish', 'workflow:deactivate', unpublish),
    controller('POST', '/workflows/:workflowId/deactivate', 'workflow:deactivate', unpublish),

    controller('GET', '/workflows/:workflowId/tags', 'workflowTags:list', (ctx) => {
      const workflow = workflowOr404(ctx.state, ctx.params.workflowId);
      return ok(tagsOf(ctx.state, workflow));
    }),

    controller('PUT', '/workflows/:workflowId/tags', 'workflowTags:update', (ctx) => {
      const { state } = ctx;
      const body = validate(array(object({ id: string() }, { strict: true })), ctx.body, 'body');
      if (!body.ok) throw new ApiError(400, body.message);
      const workflow = workflowOr404(state, ctx.params.workflowId);
      const ids = body.value.map((entry) => entry.id as string);
      if (ids.some((id) => !state.tags.has(id))) throw new ApiError(404, 'Some tags not found');
      state.setWorkflowTags(workflow, ids);
      return ok(tagsOf(state, workflow));
    }),
  ];
}
