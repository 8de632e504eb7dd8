/**
 * /tags (TagsPublicController) and /variables (VariablesPublicController, every route licensed
 * feat:variables), as n8n 2.41.1 answers them.
 */
import { ApiError, controller, found, noContent, ok, type Route } from '../http.js';
import { controllerWindow, nextCursor, slice } from '../paging.js';
import { renderProject, renderTag } from '../render.js';
import type { StoredTag, StoredVariable } from '../state.js';
import { nullable, object, oneOf, optional, readOnly, string, validate } from '../validation.js';

const tagBody = object(
  { id: readOnly, name: string(), createdAt: readOnly, updatedAt: readOnly },
  { strict: true },
);

const variableKey = string({
  min: [1, 'key must be at least 1 character long'],
  max: [50, 'key cannot be longer than 50 characters'],
  regex: [
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'key can only contain letters, numbers (not as first character), and underscores (A-Za-z0-9_)',
  ],
});
const variableValue = string({ max: [1000, 'value cannot be longer than 1000 characters'] });
const variableProjectId = string({ max: [36] });
const createVariableBody = object(
  {
    id: readOnly,
    key: variableKey,
    value: variableValue,
    type: readOnly,
    projectId: optional(variableProjectId),
  },
  { strict: true },
);
const updateVariableBody = object(
  {
    id: readOnly,
    key: string({
      min: [1, 'key must be at least 1 character long'],
      max: [50, 'key cannot be longer than 50 characters'],
    }),
    value: variableValue,
    type: readOnly,
    projectId: optional(nullable(variableProjectId)),
  },
  { strict: true },
);

/**
 * n8n trims a tag name and validates 1–24 characters, but answers any failure to save a tag with
 * 409 "Tag already exists" (measured: a 25-character or blank name gets that 409).
 */
function tagName(raw: string): string {
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > 24) throw new ApiError(409, 'Tag already exists');
  return name;
}

/** Tags list in creation order (n8n orders by createdAt, then id). */
function tagsInOrder(tags: Iterable<StoredTag>): StoredTag[] {
  return [...tags].sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
}

const VARIABLES = 'feat:variables';

export function tagAndVariableRoutes(): Route[] {
  return [
    controller('GET', '/tags', 'tag:list', ({ state, query }) => {
      const window = controllerWindow(query);
      const tags = tagsInOrder(state.tags.values());
      return ok({ data: slice(tags, window).map(renderTag), nextCursor: nextCursor(window, tags.length) });
    }),
    controller('POST', '/tags', 'tag:create', ({ state, body }) => {
      const parsed = validate(tagBody, body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const name = tagName(parsed.value.name as string);
      if (state.tagByName(name)) throw new ApiError(409, 'Tag already exists');
      return ok(renderTag(state.createTag(name)), 201);
    }),
    controller('GET', '/tags/:tagId', 'tag:read', ({ state, params }) =>
      ok(renderTag(found(state.tags.get(params.tagId ?? '')))),
    ),
    controller('PUT', '/tags/:tagId', 'tag:update', ({ state, params, body }) => {
      const parsed = validate(tagBody, body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const tag = found(state.tags.get(params.tagId ?? ''));
      const name = tagName(parsed.value.name as string);
      const clash = state.tagByName(name);
      if (clash && clash.id !== tag.id) throw new ApiError(409, 'Tag already exists');
      tag.name = name;
      tag.updatedAt = state.now();
      // n8n answers what it saved: no createdAt.
      return ok({ id: tag.id, name: tag.name, updatedAt: tag.updatedAt });
    }),
    controller('DELETE', '/tags/:tagId', 'tag:delete', ({ state, params }) => {
      const tag = found(state.tags.get(params.tagId ?? ''));
      state.tags.delete(tag.id);
      for (const workflow of state.workflows.values())
        if (workflow.tagIds.includes(tag.id)) workflow.tagIds = workflow.tagIds.filter((id) => id !== tag.id);
      return ok(renderTag(tag));
    }),

    controller(
      'GET',
      '/variables',
      'variable:list',
      ({ state, query }) => {
        const filters = validate(
          object({ state: optional(oneOf(['empty'])) }),
          Object.fromEntries(query),
          'query',
        );
        if (!filters.ok) throw new ApiError(400, filters.message);
        const window = controllerWindow(query);
        const projectId = query.get('projectId');
        const variables = [...state.variables.values()].filter(
          (v) =>
            (projectId === null ||
              (projectId === 'null' ? v.projectId === null : v.projectId === projectId)) &&
            (query.get('state') !== 'empty' || v.value === ''),
        );
        const render = (v: StoredVariable) => {
          const project = v.projectId ? state.projects.get(v.projectId) : undefined;
          return {
            id: v.id,
            key: v.key,
            value: v.value,
            type: v.type,
            project: project ? renderProject(project) : null,
          };
        };
        // Variables page an in-memory array (paginateArray): limit=0 gives an empty page here.
        const data = variables.slice(window.offset, window.offset + window.limit).map(render);
        return ok({ data, nextCursor: nextCursor(window, variables.length) });
      },
      VARIABLES,
    ),
    controller(
      'POST',
      '/variables',
      'variable:create',
      ({ state, body }) => {
        const parsed = validate(createVariableBody, body, 'body');
        if (!parsed.ok) throw new ApiError(400, parsed.message);
        const key = parsed.value.key as string;
        const projectId = (parsed.value.projectId as string | undefined) ?? null;
        if (projectId !== null && !state.projects.has(projectId))
          throw new ApiError(404, `Project with ID "${projectId}" not found`);
        assertUniqueKey(state.variables.values(), key, projectId);
        state.createVariable({ key, value: parsed.value.value as string, projectId });
        // n8n answers 201 with no body: a client must list again to learn the id.
        return noContent(201);
      },
      VARIABLES,
    ),
    controller(
      'PUT',
      '/variables/:id',
      'variable:update',
      ({ state, params, body }) => {
        const parsed = validate(updateVariableBody, body, 'body');
        if (!parsed.ok) throw new ApiError(400, parsed.message);
        const variable = found(
          state.variables.get(params.id ?? ''),
          `Variable with id ${params.id} not found`,
        );
        const key = parsed.value.key as string;
        const projectId =
          parsed.value.projectId === undefined
            ? variable.projectId
            : (parsed.value.projectId as string | null);
        assertUniqueKey(state.variables.values(), key, projectId, variable.id);
        Object.assign(variable, { key, value: parsed.value.value as string, projectId });
        return noContent();
      },
      VARIABLES,
    ),
    controller(
      'DELETE',
      '/variables/:id',
      'variable:delete',
      ({ state, params }) => {
        found(state.variables.get(params.id ?? ''), `Variable with id ${params.id} not found`);
        state.variables.delete(params.id ?? '');
        return noContent();
      },
      VARIABLES,
    ),
  ];
}

function assertUniqueKey(
  variables: Iterable<StoredVariable>,
  key: string,
  projectId: string | null,
  exceptId?: string,
): void {
  for (const other of variables) {
    if (other.id === exceptId || other.key !== key || other.projectId !== projectId) continue;
    throw new ApiError(
      400,
      projectId === null
        ? `A global variable with key "${key}" already exists`
        : `A variable with key "${key}" already exists in the specified project`,
    );
  }
}
