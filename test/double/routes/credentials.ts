/**
 * /credentials: n8n 2.41.1's CredentialsPublicController. Secrets go in and never come out; a
 * caller-chosen id (1–16 of [a-zA-Z0-9_-]) is kept, a taken one is 409; `data` is checked against
 * the type's schema (additionalProperties: false). The double knows the types in
 * credential-types.ts, the state's `extraCredentialTypes`, and any type already present in its
 * state (as if that node were installed); the data of those extra types is not checked.
 */
import type { JsonObject } from '../../../functions/core/n8n-types.js';
import { CREDENTIAL_TYPES, credentialDataProblems } from '../credential-types.js';
import { ApiError, controller, found, ok, type Route } from '../http.js';
import { controllerWindow, nextCursor, slice } from '../paging.js';
import type { DoubleState, StoredCredential } from '../state.js';
import { boolean, object, optional, readOnly, record, string, validate } from '../validation.js';

const createBody = object({
  id: optional(
    string({
      min: [1],
      max: [16],
      regex: [/^[a-zA-Z0-9_-]+$/, 'Use only letters, digits, underscores, and hyphens for the ID'],
    }),
  ),
  name: string(),
  type: string(),
  data: record,
  isResolvable: optional(boolean),
  createdAt: readOnly,
  updatedAt: readOnly,
  projectId: optional(string()),
});

const updateBody = object({
  name: optional(string()),
  type: optional(string()),
  data: optional(record),
  isGlobal: optional(boolean),
  isResolvable: optional(boolean),
  isPartialData: optional(boolean),
});

function knownType(state: DoubleState, type: string): boolean {
  if (CREDENTIAL_TYPES[type] || state.extraCredentialTypes.has(type)) return true;
  for (const credential of state.credentials.values()) if (credential.type === type) return true;
  return false;
}

function assertKnownType(state: DoubleState, type: string): void {
  if (!knownType(state, type)) throw new ApiError(400, 'req.body.type is not a known type');
}

function assertValidData(type: string, data: JsonObject, partial = false): void {
  const problems = credentialDataProblems(type, data, partial);
  if (problems) throw new ApiError(400, problems);
}

export function renderCredential(credential: StoredCredential) {
  return {
    id: credential.id,
    name: credential.name,
    type: credential.type,
    isManaged: credential.isManaged,
    isGlobal: credential.isGlobal,
    isResolvable: credential.isResolvable,
    resolvableAllowFallback: false,
    resolverId: null,
    createdAt: credential.createdAt,
    updatedAt: credential.updatedAt,
  };
}

function listItem(state: DoubleState, credential: StoredCredential) {
  const project = state.projects.get(credential.projectId);
  return {
    id: credential.id,
    name: credential.name,
    type: credential.type,
    createdAt: credential.createdAt,
    updatedAt: credential.updatedAt,
    shared: project
      ? [
          {
            id: project.id,
            name: project.name,
            role: 'credential:owner',
            createdAt: credential.sharedAt,
            updatedAt: credential.sharedAt,
          },
        ]
      : [],
  };
}

export function credentialRoutes(): Route[] {
  return [
    controller('GET', '/credentials', 'credential:list', ({ state, query }) => {
      const window = controllerWindow(query);
      // n8n sorts by createdAt descending.
      const credentials = [...state.credentials.values()].sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
      );
      return ok({
        data: slice(credentials, window).map((c) => listItem(state, c)),
        nextCursor: nextCursor(window, credentials.length),
      });
    }),

    controller('GET', '/credentials/:credentialId', 'credential:read', ({ state, params }) =>
      ok(renderCredential(found(state.credentials.get(params.credentialId ?? ''), 'Credential not found'))),
    ),

    controller('POST', '/credentials', 'credential:create', ({ state, body }) => {
      const parsed = validate(createBody, body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const input = parsed.value as {
        id?: string;
        name: string;
        type: string;
        data: JsonObject;
        isResolvable?: boolean;
        projectId?: string;
      };
      assertKnownType(state, input.type);
      assertValidData(input.type, input.data);
      const projectId = input.projectId ?? state.personalProjectId;
      if (!state.projects.has(projectId)) throw new ApiError(404, 'Project not found');
      if (input.id !== undefined && state.credentials.has(input.id))
        throw new ApiError(409, 'A credential with this ID already exists');
      const credential = state.createCredential({
        ...(input.id === undefined ? {} : { id: input.id }),
        name: input.name,
        type: input.type,
        data: input.data,
        projectId,
        isResolvable: input.isResolvable ?? false,
      });
      return ok(renderCredential(credential));
    }),

    controller('PATCH', '/credentials/:credentialId', 'credential:update', (ctx) => {
      const { state } = ctx;
      const parsed = validate(updateBody, ctx.body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const input = parsed.value as {
        name?: string;
        type?: string;
        data?: JsonObject;
        isGlobal?: boolean;
        isResolvable?: boolean;
        isPartialData?: boolean;
      };
      if (input.type !== undefined) assertKnownType(state, input.type);
      const credential = found(state.credentials.get(ctx.params.credentialId ?? ''), 'Credential not found');
      if (input.data !== undefined)
        assertValidData(input.type ?? credential.type, input.data, input.isPartialData === true);
      else if (input.type !== undefined && input.type !== credential.type)
        throw new ApiError(
          400,
          'req.body.data is required when changing credential type. The existing data cannot be used with the new type.',
        );
      if (credential.isManaged) throw new ApiError(400, 'Managed credentials cannot be updated.');
      // Re-encrypting the data validates the whole entity, name included.
      const name = input.name ?? credential.name;
      if (input.data !== undefined && (name.length < 3 || name.length > 128))
        throw new ApiError(400, 'Credential name must be 3 to 128 characters long.');
      if (input.isGlobal !== undefined && input.isGlobal !== credential.isGlobal) {
        if (!ctx.isLicensed('feat:sharing'))
          throw new ApiError(403, 'You are not licensed for sharing credentials');
        credential.isGlobal = input.isGlobal;
      }
      if (input.name !== undefined) credential.name = input.name;
      if (input.type !== undefined) credential.type = input.type;
      if (input.data !== undefined)
        credential.data = input.isPartialData ? { ...credential.data, ...input.data } : input.data;
      if (input.isResolvable !== undefined) credential.isResolvable = input.isResolvable;
      credential.updatedAt = state.now();
      return ok(renderCredential(credential));
    }),

    controller('DELETE', '/credentials/:credentialId', 'credential:delete', ({ state, params }) => {
      const credential = found(state.credentials.get(params.credentialId ?? ''));
      state.credentials.delete(credential.id);
      return ok({ ...renderCredential(credential), usageScope: 'project' });
    }),

    controller('PUT', '/credentials/:credentialId/transfer', 'credential:move', ({ state, params, body }) => {
      const parsed = validate(object({ destinationProjectId: string() }), body, 'body');
      if (!parsed.ok) throw new ApiError(400, parsed.message);
      const credential = found(
        state.credentials.get(params.credentialId ?? ''),
        `Could not find the credential with the id "${params.credentialId}". Make sure you have the permission to move it.`,
      );
      const destinationId = parsed.value.destinationProjectId as string;
      if (!state.projects.has(destinationId))
        throw new ApiError(
          404,
          `Could not find project with the id "${destinationId}". Make sure you have the permission to create credentials in it.`,
        );
      if (destinationId === credential.projectId)
        throw new ApiError(400, "You can't transfer a credential into the project that's already owning it.");
      credential.projectId = destinationId;
      credential.sharedAt = state.now();
      return { status: 204 };
    }),

    controller('GET', '/credentials/schema/:credentialTypeName', null, ({ state, params }) => {
      const type = params.credentialTypeName ?? '';
      const schema = CREDENTIAL_TYPES[type];
      if (schema) return ok(schema);
      if (knownType(state, type))
        return ok({ additionalProperties: false, type: 'object', properties: {}, required: [] });
      throw new ApiError(404, 'Not Found');
    }),
  ];
}
