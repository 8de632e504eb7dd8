/**
 * Which workflows an n8n package (POST /n8n-packages/import) carries exactly, and how they are cut
 * into packages. Pure: the restore decides from the very body POST /workflows would send.
 *
 * n8n 2.41's package schema (modules/n8n-packages/spec/serialized/workflow.schema.js) keeps a
 * workflow's name, nodes, connections and settings and strips every other key: no pinned data, no
 * static data, no description, node keys only from PACKAGE_NODE_KEYS, connection ends only
 * `node, type, index`. The importer also rebinds every workflow reference it finds (sub-workflow
 * calls, error workflow, caller ids) by package ids, so a workflow with any of them is not sent;
 * node groups are re-validated and may be dropped, so they are not sent either. Everything else
 * goes through the same WorkflowCreationService as POST (measured equal read-backs on 2.41.1:
 * test/contract/n8n-contract.ts).
 */
import type { Json, JsonObject, Workflow, WorkflowWrite } from '../../n8n-types.js';
import type { PackagedWorkflow } from '../../ports.js';
import { findWorkflowReferences, type WorkflowReference } from '../../references/workflow-references.js';

/** Node keys n8n's package schema keeps; a node with any other key is not carried exactly. */
export const PACKAGE_NODE_KEYS: readonly string[] = [
  'id',
  'name',
  'type',
  'typeVersion',
  'position',
  'parameters',
  'credentials',
  'disabled',
  'notes',
  'notesInFlow',
  'continueOnFail',
  'retryOnFail',
  'maxTries',
  'waitBetweenTries',
  'alwaysOutputData',
  'executeOnce',
  'onError',
  'webhookId',
];

const TYPED_NODE_KEYS: Record<string, 'boolean' | 'string' | 'number'> = {
  disabled: 'boolean',
  notes: 'string',
  notesInFlow: 'boolean',
  continueOnFail: 'boolean',
  retryOnFail: 'boolean',
  maxTries: 'number',
  waitBetweenTries: 'number',
  alwaysOutputData: 'boolean',
  executeOnce: 'boolean',
  onError: 'string',
  webhookId: 'string',
};

/**
 * Most workflows in one package. n8n takes up to 300 (its export's bound), but it creates them one
 * after another before it answers: 150 keeps a call well within the client's request timeout
 * (30 s by default) on a loaded host, where a timeout would be a lost answer to reconcile.
 */
export const PACKAGE_MAX_WORKFLOWS = 150;
/** Most JSON bytes of one package: the gzipped upload stays far below n8n's 16 MiB body limit. */
export const PACKAGE_MAX_BYTES = 8 * 1024 * 1024;
/** Most JSON bytes of one workflow file (n8n refuses entries over 5 MiB, N8N_IMPORT_MAX_ENTRY_BYTES). */
export const PACKAGE_MAX_WORKFLOW_BYTES = 4 * 1024 * 1024;

/**
 * Why this body cannot go by package, or undefined when it can. `original` is the archived workflow
 * (its references), `unresolved` what rewriting its references left without a target id.
 */
export function packageRefusal(
  original: Workflow,
  body: WorkflowWrite,
  unresolved: readonly WorkflowReference[],
): string | undefined {
  if (unresolved.length > 0) return 'a reference has no target id yet';
  const toWorkflows = findWorkflowReferences(original, { includeSelf: true }).some(
    (r) => r.kind !== 'credential' && r.kind !== 'dataTable',
  );
  // Also any `workflowId` parameter, error workflow or caller list, whatever the node type: n8n's
  // rebinding (isNodeWithWorkflowSelector) knows node types this restore may not.
  const settings = body.settings ?? {};
  const namesWorkflows =
    settings.errorWorkflow !== undefined ||
    settings.callerIds !== undefined ||
    body.nodes.some((n) => isObject(n.parameters) && 'workflowId' in n.parameters);
  if (toWorkflows || namesWorkflows) return 'it refers to workflows (n8n would rebind them)';
  if (body.pinData && Object.keys(body.pinData).length > 0) return 'pinned data';
  if (body.staticData !== undefined && body.staticData !== null) return 'static data';
  if (body.nodeGroups && body.nodeGroups.length > 0) return 'node groups';
  if (typeof body.name !== 'string' || body.name === '') return 'no name';
  if (!isObject(body.settings)) return 'settings are not an object';
  const node = body.nodes.findIndex((n) => !packageableNode(n as unknown as JsonObject));
  if (node >= 0) return `node ${node + 1} has a part the package schema strips or refuses`;
  if (!packageableConnections(body.connections)) return 'a connection has a part the package schema strips';
  return undefined;
}

function packageableNode(node: JsonObject): boolean {
  if (!Object.keys(node).every((key) => PACKAGE_NODE_KEYS.includes(key))) return false;
  const text = (v: Json | undefined) => typeof v === 'string' && v.length > 0;
  const position = node.position;
  if (!text(node.id) || !text(node.name) || !text(node.type)) return false;
  if (typeof node.typeVersion !== 'number' || !Number.isFinite(node.typeVersion)) return false;
  if (!Array.isArray(position) || position.length !== 2 || !position.every(Number.isFinite)) return false;
  if (!isObject(node.parameters)) return false;
  for (const [key, type] of Object.entries(TYPED_NODE_KEYS))
    if (node[key] !== undefined && typeof node[key] !== type) return false;
  return node.credentials === undefined || packageableCredentials(node.credentials);
}

/** `{ <type>: { id, name } }`, both strings (n8n's `__aiGatewayManaged` flag may come along). */
function packageableCredentials(credentials: Json): boolean {
  if (!isObject(credentials)) return false;
  return Object.values(credentials).every(
    (ref) =>
      isObject(ref) &&
      typeof ref.id === 'string' &&
      typeof ref.name === 'string' &&
      Object.keys(ref).every(
        (key) =>
          key === 'id' || key === 'name' || (key === '__aiGatewayManaged' && typeof ref[key] === 'boolean'),
      ),
  );
}

/** `{ <node>: { <type>: [ [ { node, type, index } ] | null ] } }`, nothing more on an end. */
function packageableConnections(connections: Json): boolean {
  if (!isObject(connections)) return false;
  const end = (e: Json) =>
    isObject(e) &&
    Object.keys(e).length === 3 &&
    typeof e.node === 'string' &&
    typeof e.type === 'string' &&
    typeof e.index === 'number';
  return Object.values(connections).every(
    (byType) =>
      isObject(byType) &&
      Object.values(byType).every(
        (outputs) =>
          Array.isArray(outputs) &&
          outputs.every((ends) => ends === null || (Array.isArray(ends) && ends.every(end))),
      ),
  );
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The package's copy of a body: the parts the schema keeps, under its package id. */
export function packagedWorkflow(packageId: string, body: WorkflowWrite): PackagedWorkflow {
  return {
    id: packageId,
    name: body.name,
    nodes: body.nodes,
    connections: body.connections,
    settings: body.settings,
  };
}

/** The JSON size of a workflow's package file, for the byte bounds. */
export function packagedBytes(workflow: PackagedWorkflow): number {
  return Buffer.byteLength(JSON.stringify(workflow), 'utf8');
}

/**
 * Cuts workflows into packages per group (target project and folder): a group's package goes out
 * when it is full (PACKAGE_MAX_WORKFLOWS or PACKAGE_MAX_BYTES). What is still buffered is bounded
 * too: past `maxBuffered` bytes the largest group goes out early.
 */
export class PackageBatcher<T> {
  private readonly groups = new Map<string, { items: T[]; bytes: number }>();
  private buffered = 0;

  constructor(private readonly maxBuffered = 4 * PACKAGE_MAX_BYTES) {}

  /** Adds one; answers the packages that are ready to go. */
  add(group: string, item: T, bytes: number): { group: string; items: T[] }[] {
    const ready: { group: string; items: T[] }[] = [];
    let current = this.groups.get(group);
    if (current && current.bytes + bytes > PACKAGE_MAX_BYTES) ready.push(this.take(group));
    current = this.groups.get(group) ?? { items: [], bytes: 0 };
    current.items.push(item);
    current.bytes += bytes;
    this.buffered += bytes;
    this.groups.set(group, current);
    if (current.items.length >= PACKAGE_MAX_WORKFLOWS) ready.push(this.take(group));
    while (this.buffered > this.maxBuffered) ready.push(this.take(this.largest()));
    return ready;
  }

  /** Every package still buffered. */
  drain(): { group: string; items: T[] }[] {
    return [...this.groups.keys()].map((group) => this.take(group));
  }

  private take(group: string): { group: string; items: T[] } {
    const current = this.groups.get(group) ?? { items: [], bytes: 0 };
    this.groups.delete(group);
    this.buffered -= current.bytes;
    return { group, items: current.items };
  }

  private largest(): string {
    let best: [string, number] = ['', -1];
    for (const [group, { bytes }] of this.groups) if (bytes > best[1]) best = [group, bytes];
    return best[0];
  }
}
