/**
 * Saved versions whose graph the workflow listing already carries. GET /workflows lists each
 * workflow's draft graph under its `versionId` and, when published, the published version's graph
 * in `activeVersion`; both are saved versions that GET /workflows/{id}/history lists. n8n saves the
 * version row from the same graph it saves the workflow with (a new `versionId` whenever nodes,
 * connections or node groups change), and a saved version never changes, so the version whose id
 * is the listed `versionId` (or `activeVersion.versionId`) has exactly the listed graph: its record
 * is built from the history list's metadata and that graph, the same record (bytes and key order)
 * a GET of the version gives (checked against real n8n 2.41.1 by the contract suite, "workflow
 * history").
 *
 * Graphs are remembered as JSON text from the workflows entry until the history entry is written,
 * within a budget: past it, versions are read by GET as before.
 */
import type { Workflow, WorkflowVersion, WorkflowVersionMeta } from '../n8n-types.js';

/** Characters of graph JSON remembered at most (a string of ASCII JSON takes about a byte each). */
export const LISTED_GRAPHS_BUDGET = 32 * 1024 * 1024;

/** The part of a saved version that GET /workflows/{id}/versions/{versionId} adds to the history list's item. */
export type Graph = Pick<WorkflowVersion, 'nodes' | 'connections' | 'nodeGroups'>;

/** One archived version: the list's metadata and the version's graph, keyed by both ids. */
export type WorkflowVersionRecord = WorkflowVersionMeta & WorkflowVersion;

/**
 * The record of one saved version as the history entry holds it: the ids first (so a reader of the
 * NDJSON sees whose version a line is), then the list item's metadata, then what the version read
 * (or the listing) adds. One function for both sources, so both give the same bytes.
 */
export function versionRecord(
  workflowId: string,
  meta: WorkflowVersionMeta,
  version: WorkflowVersion | Graph,
): WorkflowVersionRecord {
  return Object.assign({ workflowId, versionId: meta.versionId }, meta, version) as WorkflowVersionRecord;
}

/** The draft's and the published version's graph of a listed workflow, by version id. */
export function listedGraphs(workflow: Workflow): Map<string, Graph> {
  const graphs = new Map<string, Graph>();
  const draft = graphOf(workflow);
  if (draft && typeof workflow.versionId === 'string') graphs.set(workflow.versionId, draft);
  const active = workflow.activeVersion as Record<string, unknown> | null | undefined;
  if (active && typeof active === 'object' && typeof active.versionId === 'string') {
    const published = graphOf(active);
    if (published) graphs.set(active.versionId, published);
  }
  return graphs;
}

/** The graph in the shape a version read answers it; undefined when a part is missing. */
export function graphOf(source: Record<string, unknown>): Graph | undefined {
  const { nodes, connections, nodeGroups } = source;
  if (!Array.isArray(nodes) || typeof connections !== 'object' || connections === null) return undefined;
  if (!Array.isArray(nodeGroups)) return undefined;
  return { nodes, connections, nodeGroups } as Graph;
}

/**
 * The listed graphs of the workflows whose versions the backup will read, as JSON text until the
 * history entry asks for them (each is asked for once, then forgotten).
 */
export class ListedGraphs {
  private readonly graphs = new Map<string, Map<string, string>>();
  private size = 0;
  /** Versions not remembered because the budget was spent. */
  overBudget = 0;

  constructor(private readonly budget = LISTED_GRAPHS_BUDGET) {}

  remember(workflow: Workflow): void {
    for (const [versionId, graph] of listedGraphs(workflow)) {
      const text = JSON.stringify(graph);
      if (this.size + text.length > this.budget) {
        this.overBudget += 1;
        continue;
      }
      this.size += text.length;
      const versions = this.graphs.get(workflow.id) ?? new Map<string, string>();
      versions.set(versionId, text);
      this.graphs.set(workflow.id, versions);
    }
  }

  /** The remembered graphs as a sliced backup saves them between slices (JSON text by version). */
  saved(): { graphs: Record<string, Record<string, string>>; overBudget: number } {
    const graphs: Record<string, Record<string, string>> = {};
    for (const [workflowId, versions] of this.graphs) graphs[workflowId] = Object.fromEntries(versions);
    return { graphs, overBudget: this.overBudget };
  }

  /** Takes up what an earlier slice saved. */
  restore(state: { graphs: Record<string, Record<string, string>>; overBudget: number }): void {
    for (const [workflowId, versions] of Object.entries(state.graphs)) {
      const map = new Map(Object.entries(versions));
      for (const text of map.values()) this.size += text.length;
      this.graphs.set(workflowId, map);
    }
    this.overBudget = state.overBudget;
  }

  /** Takes a workflow's remembered graphs out, to build the records of those versions. */
  take(workflowId: string): Map<string, Graph> {
    const versions = this.graphs.get(workflowId);
    this.graphs.delete(workflowId);
    const graphs = new Map<string, Graph>();
    for (const [versionId, text] of versions ?? []) {
      this.size -= text.length;
      graphs.set(versionId, JSON.parse(text) as Graph);
    }
    return graphs;
  }

  /** Forgets a workflow's graphs (its versions come from elsewhere). */
  forget(workflowId: string): void {
    for (const text of this.graphs.get(workflowId)?.values() ?? []) this.size -= text.length;
    this.graphs.delete(workflowId);
  }
}
