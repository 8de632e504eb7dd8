/**
 * What n8n accepts on a workflow write. POST/PUT /workflows validate the body against n8n's schema
 * (`additionalProperties: false` on nodes and settings), so anything else is refused with 400; a
 * restore leaves it out and says so once per field.
 */
import type { JsonObject, Workflow, WorkflowNode, WorkflowWrite } from '../../n8n-types.js';
import type { ApplyContext } from '../kind.js';
import { workflowsMemo } from './memo.js';

/** Node keys POST/PUT /workflows accept (n8n 2.41 `node` schema, additionalProperties: false). */
export const WRITABLE_NODE_KEYS: readonly string[] = [
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

/**
 * `settings` keys POST/PUT /workflows accept (n8n 2.41 `workflowSettings`, additionalProperties:
 * false). `binaryMode` and `credentialResolverId` are accepted but ignored by n8n, so they are not
 * sent and not compared.
 */
export const WRITABLE_SETTINGS_KEYS: readonly string[] = [
  'saveExecutionProgress',
  'saveManualExecutions',
  'saveDataErrorExecution',
  'saveDataSuccessExecution',
  'executionTimeout',
  'errorWorkflow',
  'timezone',
  'executionOrder',
  'callerPolicy',
  'callerIds',
  'timeSavedMode',
  'timeSavedPerExecution',
  'redactionPolicy',
  'availableInMCP',
  'customTelemetryTags',
];

/** Settings n8n accepts but ignores: not sent, and not worth a warning. */
const IGNORED_SETTINGS_KEYS: readonly string[] = ['binaryMode', 'credentialResolverId'];

/**
 * A workflow as POST/PUT /workflows accept it: read-only fields dropped, node and settings keys
 * limited to n8n's schema, empty optional parts left out.
 */
export function toWorkflowWrite(workflow: Workflow): { body: WorkflowWrite; dropped: string[] } {
  const dropped = new Set<string>();
  const nodes = (workflow.nodes ?? []).map((node) => {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (WRITABLE_NODE_KEYS.includes(key)) kept[key] = value;
      else dropped.add(`nodes[].${key}`);
    }
    return kept as WorkflowNode;
  });
  const settings: JsonObject = {};
  for (const [key, value] of Object.entries(workflow.settings ?? {})) {
    if (WRITABLE_SETTINGS_KEYS.includes(key)) settings[key] = value;
    else if (!IGNORED_SETTINGS_KEYS.includes(key)) dropped.add(`settings.${key}`);
  }
  const body: WorkflowWrite = {
    name: workflow.name,
    nodes,
    connections: workflow.connections ?? {},
    settings,
  };
  if (workflow.staticData !== undefined && workflow.staticData !== null)
    body.staticData = workflow.staticData;
  if (workflow.pinData && Object.keys(workflow.pinData).length > 0) body.pinData = workflow.pinData;
  if (workflow.nodeGroups && workflow.nodeGroups.length > 0) body.nodeGroups = workflow.nodeGroups;
  return { body, dropped: [...dropped] };
}

/** The body a restore writes (references already rewritten, renamed if planned so); drops are warned once. */
export function writeBody(
  ctx: ApplyContext,
  original: Workflow,
  rewritten: Workflow,
  name: string,
): WorkflowWrite {
  const { body, dropped } = toWorkflowWrite({ ...rewritten, name });
  const { warnedDrops } = workflowsMemo(ctx);
  for (const field of dropped) {
    if (warnedDrops.has(field)) continue;
    warnedDrops.add(field);
    ctx.ledger.warn({
      code: 'field-dropped',
      resource: 'workflows',
      message: `${field} is not accepted by n8n's Public API on write and was left out (first seen in workflow "${original.name}")`,
    });
  }
  return body;
}
