/**
 * The ids a workflow carries to other objects, and their rewriting through old→new id maps.
 *
 * n8n gives restored workflows and data tables new ids, so every place a workflow names another
 * object by id must be found and rewritten, or the restored workflow silently calls nothing.
 * Where n8n itself reads the id (see ExecuteWorkflow's getWorkflowInfo and the workflow-settings
 * error-workflow helpers in n8n's source) this module reads it the same way.
 */
import type { Json, JsonObject, Workflow, WorkflowNode } from '../n8n-types.js';

export type WorkflowReferenceKind = 'workflow' | 'credential' | 'dataTable' | 'errorWorkflow' | 'callerId';

export interface WorkflowReference {
  kind: WorkflowReferenceKind;
  /** The id referred to. A dangling reference (unset, `null`, `"${undefined}"`) has id `''` or the literal it holds. */
  id: string;
  /** Name of the node holding the reference; absent for settings. */
  node?: string;
  /** For credentials: the credential type key under `nodes[].credentials`. */
  credentialType?: string;
  /** Where it sits, for people: `nodes["Call sub"].parameters.workflowId.value`. */
  location: string;
}

/**
 * Old→new id maps for one restore. A reference whose id is absent from its map is unresolved and
 * reported, never silently kept: when an id is meant to stay the same (credentials are restored
 * with their source id), the caller puts the identity pair `id → id` in the map.
 */
export interface IdMaps {
  workflows: Map<string, string>;
  credentials: Map<string, string>;
  dataTables: Map<string, string>;
}

/** Node types whose `workflowId` names a workflow of the same instance (when `source` is the database). */
export const WORKFLOW_CALLER_NODE_TYPES: readonly string[] = [
  'n8n-nodes-base.executeWorkflow',
  '@n8n/n8n-nodes-langchain.toolWorkflow',
];

/** Node types whose `dataTableId` names a data table (the node, its AI-tool variant and its trigger). */
export const DATA_TABLE_NODE_TYPES: readonly string[] = [
  'n8n-nodes-base.dataTable',
  'n8n-nodes-base.dataTableTool',
  'n8n-nodes-base.dataTableTrigger',
];

/** What n8n writes when a UI bug stringified an unset id; it never names a real object. */
const STRINGIFIED_UNDEFINED = '${undefined}';

/**
 * Every reference a workflow makes to another object, in node order then settings. Expressions
 * (values starting with `=`) are not references: they are evaluated at run time. A workflow's
 * references to itself (a sub-workflow call to itself, being its own error workflow or caller)
 * are left out unless `includeSelf` (a restore must still rewrite them: the workflow's id changes).
 */
export function findWorkflowReferences(
  workflow: Workflow,
  options: { includeSelf?: boolean } = {},
): WorkflowReference[] {
  const found: WorkflowReference[] = [];
  visitReferences(workflow, (slot) => {
    if (options.includeSelf || !isSelfReference(workflow, slot.reference)) found.push(slot.reference);
  });
  return found;
}

/**
 * A copy of `workflow` with every reference rewritten through `maps`. Credential names are kept.
 * Resource locators get their `value` rewritten, and the id inside a cached URL (`cachedResultUrl`
 * `/workflow/<id>`) or a URL-mode value too. References the maps do not know stay as they were and
 * are returned in `unresolved`, except self-references, which the second restore pass resolves
 * once the workflow's own new id is known.
 */
export function rewriteWorkflowReferences(
  workflow: Workflow,
  maps: IdMaps,
): { workflow: Workflow; unresolved: WorkflowReference[] } {
  // References live in nodes and settings only: pinned and static data (tens of MiB of it in real
  // workflows) are shared with the original, not copied.
  const { pinData, staticData, ...rest } = workflow;
  const copy: Workflow = structuredClone(rest);
  if (pinData !== undefined) copy.pinData = pinData;
  if (staticData !== undefined) copy.staticData = staticData;
  const unresolved: WorkflowReference[] = [];
  visitReferences(copy, (slot) => {
    const target = mapFor(maps, slot.reference.kind).get(slot.reference.id);
    if (target !== undefined) {
      slot.replace(target);
    } else if (!isSelfReference(workflow, slot.reference)) {
      unresolved.push(slot.reference);
    }
  });
  return { workflow: copy, unresolved };
}

function mapFor(maps: IdMaps, kind: WorkflowReferenceKind): Map<string, string> {
  switch (kind) {
    case 'credential':
      return maps.credentials;
    case 'dataTable':
      return maps.dataTables;
    default:
      return maps.workflows;
  }
}

function isSelfReference(workflow: Workflow, reference: WorkflowReference): boolean {
  return reference.kind !== 'credential' && reference.kind !== 'dataTable' && reference.id === workflow.id;
}

/** One place a reference sits, with the means to put a new id there. */
interface ReferenceSlot {
  reference: WorkflowReference;
  replace(newId: string): void;
}

function visitReferences(workflow: Workflow, visit: (slot: ReferenceSlot) => void): void {
  for (const node of workflow.nodes ?? []) {
    visitCredentials(node, visit);
    if (WORKFLOW_CALLER_NODE_TYPES.includes(node.type) && readsWorkflowFromDatabase(node)) {
      visitIdParameter(node, 'workflowId', 'workflow', visit, { absentIsDangling: true });
    }
    if (DATA_TABLE_NODE_TYPES.includes(node.type)) {
      // Table-level operations (create, list) carry no table; only a present parameter is a reference.
      visitIdParameter(node, 'dataTableId', 'dataTable', visit, { absentIsDangling: false });
    }
  }
  visitSettings(workflow, visit);
}

function readsWorkflowFromDatabase(node: WorkflowNode): boolean {
  const source = node.parameters?.source;
  return source === undefined || source === 'database';
}

function visitCredentials(node: WorkflowNode, visit: (slot: ReferenceSlot) => void): void {
  for (const [credentialType, credential] of Object.entries(node.credentials ?? {})) {
    if (!credential || typeof credential !== 'object') continue;
    const id = credential.id;
    visit({
      reference: {
        kind: 'credential',
        id: typeof id === 'string' ? id : '',
        node: node.name,
        credentialType,
        location: `${nodePath(node)}.credentials.${credentialType}.id`,
      },
      replace(newId) {
        credential.id = newId;
      },
    });
  }
}

function visitIdParameter(
  node: WorkflowNode,
  parameter: string,
  kind: 'workflow' | 'dataTable',
  visit: (slot: ReferenceSlot) => void,
  options: { absentIsDangling: boolean },
): void {
  const parameters = node.parameters ?? {};
  const value: Json | undefined = parameters[parameter];
  const location = `${nodePath(node)}.parameters.${parameter}`;
  if (value === undefined && !options.absentIsDangling) return;

  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'number') {
    if (typeof value === 'string' && isExpression(value)) return;
    visit({
      // Workflows exported from n8n before 1.0 carry numeric ids.
      reference: {
        kind,
        id: value === null || value === undefined ? '' : String(value),
        node: node.name,
        location,
      },
      replace(newId) {
        parameters[parameter] = newId;
        node.parameters = parameters;
      },
    });
    return;
  }
  if (isResourceLocator(value)) visitResourceLocator(node, value, kind, `${location}.value`, visit);
}

function visitResourceLocator(
  node: WorkflowNode,
  locator: JsonObject,
  kind: 'workflow' | 'dataTable',
  location: string,
  visit: (slot: ReferenceSlot) => void,
): void {
  const raw = locator.value;
  if (typeof raw === 'string' && isExpression(raw)) return;
  // A data table picked "by name" names no id; the name survives a restore unchanged.
  if (locator.mode === 'name') return;
  const text = raw === null || raw === undefined ? '' : typeof raw === 'string' ? raw : String(raw);
  const isUrl = locator.mode === 'url';
  const id = isUrl ? (idInUrl(text, kind) ?? text) : text;
  visit({
    reference: { kind, id, node: node.name, location },
    replace(newId) {
      locator.value = isUrl ? replaceIdInUrl(text, id, newId) : newId;
      if (typeof locator.cachedResultUrl === 'string' && id !== '') {
        locator.cachedResultUrl = replaceIdInUrl(locator.cachedResultUrl, id, newId);
      }
    },
  });
}

function visitSettings(workflow: Workflow, visit: (slot: ReferenceSlot) => void): void {
  const settings = workflow.settings;
  if (!settings || typeof settings !== 'object') return;

  // n8n reads '' and 'DEFAULT' as "no error workflow" (staticErrorWorkflowId), so they are no reference.
  const errorWorkflow = settings.errorWorkflow;
  if (typeof errorWorkflow === 'string' && errorWorkflow !== '' && errorWorkflow !== 'DEFAULT') {
    if (!isExpression(errorWorkflow)) {
      visit({
        reference: { kind: 'errorWorkflow', id: errorWorkflow, location: 'settings.errorWorkflow' },
        replace(newId) {
          settings.errorWorkflow = newId;
        },
      });
    }
  }

  const callerIds = settings.callerIds;
  if (typeof callerIds === 'string' && !isExpression(callerIds)) {
    // Split keeping the separators so a rewrite changes the ids and nothing else.
    const parts = callerIds.split(/(\s*,\s*)/);
    let index = 0;
    for (let i = 0; i < parts.length; i += 2) {
      const id = (parts[i] ?? '').trim();
      if (id === '') continue;
      const partIndex = i;
      visit({
        reference: { kind: 'callerId', id, location: `settings.callerIds[${index}]` },
        replace(newId) {
          parts[partIndex] = (parts[partIndex] ?? '').replace(id, newId);
          settings.callerIds = parts.join('');
        },
      });
      index += 1;
    }
  }
}

function isResourceLocator(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.__rl === true;
}

function isExpression(value: string): boolean {
  return value.startsWith('=');
}

/** True when the reference can never resolve: nothing set, or a stringified `undefined`. */
export function isDanglingReference(reference: WorkflowReference): boolean {
  return reference.id === '' || reference.id === STRINGIFIED_UNDEFINED;
}

const URL_ID_PATTERNS: Record<'workflow' | 'dataTable', RegExp> = {
  workflow: /\/workflows?\/([A-Za-z0-9_-]+)/,
  dataTable: /\/data-?tables?\/([A-Za-z0-9_-]+)/i,
};

function idInUrl(url: string, kind: 'workflow' | 'dataTable'): string | undefined {
  return URL_ID_PATTERNS[kind].exec(url)?.[1];
}

/** Replaces `oldId` where it is a whole path segment, so an id that is a substring of another stays put. */
function replaceIdInUrl(url: string, oldId: string, newId: string): string {
  if (oldId === '') return url;
  const escaped = oldId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return url.replace(new RegExp(`(?<=/)${escaped}(?=[/?#]|$)`, 'g'), newId);
}

function nodePath(node: WorkflowNode): string {
  return `nodes[${JSON.stringify(node.name)}]`;
}

/** The archive warning for a reference to an object the instance does not have. */
export function danglingReferenceWarning(
  workflow: { id: string; name: string },
  reference: WorkflowReference,
): { code: string; message: string; workflow: { id: string; name: string }; node?: string } {
  const where = reference.node ? `node "${reference.node}"` : reference.location;
  return {
    code: 'dangling-reference',
    message: `workflow "${workflow.name}" ${where} refers to ${referredTo(reference)}${isDanglingReference(reference) ? '' : ', which does not exist in this instance'}`,
    workflow: { id: workflow.id, name: workflow.name },
    ...(reference.node ? { node: reference.node } : {}),
  };
}

/**
 * What a reference points at, in the words backup warnings and restore plans share: `workflow "42"`,
 * or `no workflow (the reference is empty)` for one that is unset or holds n8n's stringified
 * `${undefined}`, which is never shown as if it were an id.
 */
export function referredTo(reference: WorkflowReference): string {
  const kind = describeReferenceKind(reference);
  return isDanglingReference(reference) ? `no ${kind} (the reference is empty)` : `${kind} "${reference.id}"`;
}

/** What a reference points to, in words: `credential (slackApi)`, `error workflow`. */
export function describeReferenceKind(reference: WorkflowReference): string {
  switch (reference.kind) {
    case 'credential':
      return `credential${reference.credentialType ? ` (${reference.credentialType})` : ''}`;
    case 'dataTable':
      return 'data table';
    case 'errorWorkflow':
      return 'error workflow';
    case 'callerId':
      return 'caller workflow';
    default:
      return 'workflow';
  }
}
