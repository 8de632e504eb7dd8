/**
 * What n8n 2.41 accepts in the body of POST /workflows and PUT /workflows/{workflowId}, written
 * down for the test fakes from n8n's own spec and from real n8n. Deliberately NOT imported from
 * functions/: the production code keeps its own lists, and a unit test
 * (test/unit/n8n-write-rules.test.ts) compares the two, so a wrong production list fails a test
 * instead of teaching the fake the same mistake.
 *
 * Sources:
 * - spec: n8n 2.41's bundled Public API spec (`openapi-2.41.yml` in ../shared/n8n), the request
 *   bodies of operations `createWorkflow` and `updateWorkflow` and the schemas `node` and
 *   `workflowSettings` they embed; all of them `additionalProperties: false`.
 * - real n8n: ../shared/n8n/API-NOTES.md ("Measured on a real n8n", "Create whitelist") and
 *   docs/REAL-N8N-FINDINGS.md, measured on n8n 2.41.1.
 */

/**
 * Keys of a workflow node n8n accepts: the properties of spec schema `node` (identical to the
 * `nodes[]` items of the createWorkflow/updateWorkflow request bodies) that are not `readOnly`.
 * Any other key → 400 (`additionalProperties: false`).
 */
export const N8N_NODE_KEYS: readonly string[] = [
  'id',
  'name',
  'webhookId',
  'disabled',
  'notesInFlow',
  'notes',
  'type',
  'typeVersion',
  'executeOnce',
  'alwaysOutputData',
  'retryOnFail',
  'maxTries',
  'waitBetweenTries',
  'continueOnFail',
  'onError',
  'position',
  'parameters',
  'credentials',
  'customTelemetryTags',
];

/** Spec schema `node`: properties marked `readOnly` (a GET returns them; sending them → 400 "is read-only"). */
export const N8N_NODE_READ_ONLY_KEYS: readonly string[] = ['createdAt', 'updatedAt'];

/**
 * Keys of `settings` n8n accepts: every property of spec schema `workflowSettings`. Any other
 * key (e.g. `engineType`, which some n8n versions put in their own responses) → 400.
 */
export const N8N_SETTINGS_KEYS: readonly string[] = [
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
  'timeSavedMode',
  'timeSavedPerExecution',
  'redactionPolicy',
  'availableInMCP',
  'customTelemetryTags',
  'credentialResolverId',
];

/**
 * Settings accepted but ignored: the spec's descriptions of `binaryMode` and
 * `credentialResolverId` in `workflowSettings` say "any value sent when creating or updating a
 * workflow is ignored" (they are derived, internal settings). No 400, but not stored.
 */
export const N8N_IGNORED_SETTINGS_KEYS: readonly string[] = ['binaryMode', 'credentialResolverId'];

/**
 * Top-level fields of the createWorkflow request body (spec, `additionalProperties: false`) that
 * are not `readOnly`. It has no `description`, and real n8n refuses one on POST with 400 (API-NOTES,
 * "Create whitelist"); a following PUT sets it. `shared` is in the spec's body without `readOnly`:
 * accepted, but ownership comes from `projectId`, so the fake ignores it.
 */
export const N8N_CREATE_WORKFLOW_KEYS: readonly string[] = [
  'name',
  'nodes',
  'connections',
  'settings',
  'nodeGroups',
  'staticData',
  'pinData',
  'projectId',
  'parentFolderId',
  'shared',
];

/**
 * Top-level fields of the updateWorkflow request body (spec) that are not `readOnly`: those of
 * create without `projectId` (moving a workflow is PUT /workflows/{id}/transfer), plus `description`.
 */
export const N8N_UPDATE_WORKFLOW_KEYS: readonly string[] = [
  'name',
  'nodes',
  'connections',
  'settings',
  'nodeGroups',
  'staticData',
  'pinData',
  'parentFolderId',
  'shared',
  'description',
];

/**
 * Top-level fields both request bodies mark `readOnly` (spec); real n8n answers 400
 * `request/body/<field> is read-only` even for `active: false` or `tags: []` (API-NOTES).
 */
export const N8N_WORKFLOW_READ_ONLY_KEYS: readonly string[] = [
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
];

/** Top-level fields the fake accepts but does not store (see N8N_CREATE_WORKFLOW_KEYS). */
export const N8N_IGNORED_WORKFLOW_KEYS: readonly string[] = ['shared'];

/**
 * The first thing n8n would refuse in a workflow write body, worded as n8n words it (zod issues
 * formatted as `request/body/<path> <message>`, as the API double does), or undefined if n8n
 * would accept the body's keys. Only keys are checked, not value types.
 */
export function refusedWorkflowKey(body: object, method: 'POST' | 'PUT'): string | undefined {
  const accepted = method === 'POST' ? N8N_CREATE_WORKFLOW_KEYS : N8N_UPDATE_WORKFLOW_KEYS;
  const fields = body as Record<string, unknown>;
  const readOnly = Object.keys(fields).find((key) => N8N_WORKFLOW_READ_ONLY_KEYS.includes(key));
  if (readOnly) return `request/body/${readOnly} is read-only`;
  const nodes = Array.isArray(fields.nodes) ? (fields.nodes as unknown[]) : [];
  for (const [index, node] of nodes.entries()) {
    const keys = Object.keys(node ?? {});
    const nodeReadOnly = keys.find((key) => N8N_NODE_READ_ONLY_KEYS.includes(key));
    if (nodeReadOnly) return `request/body/nodes/${index}/${nodeReadOnly} is read-only`;
    const unknown = keys.filter((key) => !N8N_NODE_KEYS.includes(key));
    if (unknown.length > 0) return unrecognized(`request/body/nodes/${index}`, unknown);
  }
  const settings = Object.keys((fields.settings as object | undefined) ?? {});
  const unknownSettings = settings.filter((key) => !N8N_SETTINGS_KEYS.includes(key));
  if (unknownSettings.length > 0) return unrecognized('request/body/settings', unknownSettings);
  const unknown = Object.keys(fields).filter((key) => !accepted.includes(key));
  if (unknown.length > 0) return unrecognized('request/body', unknown);
  return undefined;
}

function unrecognized(path: string, keys: string[]): string {
  return `${path} Unrecognized key(s) in object: ${keys.map((k) => `'${k}'`).join(', ')}`;
}
