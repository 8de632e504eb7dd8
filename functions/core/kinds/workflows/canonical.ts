/**
 * The instance-independent form of a workflow: what a person would call "the same automation",
 * ignoring ids and timestamps. A reference is written as the name of what it points to, so an
 * instance restored with new ids compares equal to its source.
 *
 * The canonical form is also exactly what a restore can carry: node and settings keys n8n refuses
 * on write are left out here, so a diff never reports what no restore could reproduce.
 */
import type { InstanceNames } from '../../instance/identity.js';
import { owningProjectId } from '../../instance/identity.js';
import type { Json, JsonObject, Workflow, WorkflowNode } from '../../n8n-types.js';
import { type IdMaps, rewriteWorkflowReferences } from '../../references/workflow-references.js';
import { WRITABLE_NODE_KEYS, WRITABLE_SETTINGS_KEYS } from './write-body.js';

/** Turns workflows into their instance-independent form. */
export class WorkflowCanonicalizer {
  private readonly tokens: IdMaps;

  constructor(private readonly names: InstanceNames) {
    const tokens = (map: Map<string, string>, kind: string) =>
      new Map([...map].map(([id, name]) => [id, `<${kind}:${name}>`]));
    this.tokens = {
      workflows: tokens(names.workflows, 'workflow'),
      credentials: tokens(names.credentials, 'credential'),
      dataTables: tokens(names.dataTables, 'dataTable'),
    };
  }

  canonical(workflow: Workflow): JsonObject {
    const { workflow: named } = rewriteWorkflowReferences(workflow, this.tokens);
    const projectId = owningProjectId(workflow);
    const folderId = workflow.parentFolderId;
    return {
      name: workflow.name,
      project: projectId ? (this.names.projects.get(projectId) ?? null) : null,
      folder: folderId ? (this.names.folders.get(folderId) ?? `(unknown folder ${folderId})`) : null,
      active: workflow.active === true,
      isArchived: workflow.isArchived === true,
      description: workflow.description || null,
      tags: (workflow.tags ?? []).map((t) => t.name).sort(),
      ...canonicalGraph(named),
      settings: writableSettings(named.settings),
      staticData: (named.staticData as Json | undefined) ?? null,
      pinData: named.pinData && Object.keys(named.pinData).length > 0 ? named.pinData : null,
      nodeGroups: named.nodeGroups && named.nodeGroups.length > 0 ? named.nodeGroups : null,
    };
  }
}

/**
 * What a published workflow runs, ids as they are (the caller maps them first): its nodes in their
 * canonical form, by name, and its connections. The closing check compares a target's published
 * version with the archive's through it.
 */
export function canonicalGraph(graph: { nodes?: WorkflowNode[]; connections?: JsonObject }): JsonObject {
  return {
    nodes: [...(graph.nodes ?? [])].sort((a, b) => a.name.localeCompare(b.name)).map(canonicalNode),
    connections: graph.connections ?? {},
  };
}

/** A workflow's settings as a restore can write them. */
export function writableSettings(settings: JsonObject | undefined | null): JsonObject {
  return pick(settings ?? {}, WRITABLE_SETTINGS_KEYS);
}

function canonicalNode(node: WorkflowNode): JsonObject {
  const kept = pick(
    node as unknown as JsonObject,
    WRITABLE_NODE_KEYS.filter((k) => k !== 'id'),
  );
  if (node.credentials) {
    // Compared by what the credential is (its name in this instance), not by the label saved in the node.
    kept.credentials = Object.fromEntries(
      Object.entries(node.credentials).map(([type, ref]) => [type, ref?.id ?? `<unset:${ref?.name ?? ''}>`]),
    );
  }
  if (kept.parameters) kept.parameters = withoutCachedUrls(kept.parameters);
  return kept;
}

/**
 * Resource locators cache a link for the editor (`cachedResultUrl`), which embeds ids (the project
 * of a data table, for one). It is a display cache, not behaviour, so it is not compared.
 */
function withoutCachedUrls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutCachedUrls);
  if (value && typeof value === 'object') {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === 'cachedResultUrl' && value.__rl === true) continue;
      copy[key] = withoutCachedUrls(item);
    }
    return copy;
  }
  return value;
}

function pick(object: JsonObject, keys: readonly string[]): JsonObject {
  const picked: JsonObject = {};
  for (const key of keys) {
    const value = object[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

// ---------------------------------------------------------------------------------------------
// Snapshots: one read-only view over an archive or a live instance.
