/**
 * The backup's reference check: a workflow whose credential, data-table or workflow reference
 * points at nothing in the instance becomes a `dangling-reference` warning, and is declared in the
 * manifest's `danglingReferences` (the archive check accepts no other unresolved). Only ids and names
 * are kept. A workflow reference is judged once every workflow has been seen (callees may come later).
 */
import type { ArchiveWarning, DanglingReference } from '../archive/format.js';
import type { Workflow } from '../n8n-types.js';
import {
  danglingReferenceWarning,
  findWorkflowReferences,
  type WorkflowReference,
} from './workflow-references.js';

type ForwardReference = { workflow: { id: string; name: string }; reference: WorkflowReference };

/** BackupReferences as a sliced backup saves it between slices. */
export interface ReferencesState {
  ids: Record<string, string[]>;
  forward: ForwardReference[];
  /** Absent in the state of a slice of an earlier version: none declared yet. */
  declared?: DanglingReference[];
}

export class BackupReferences {
  /** The ids written so far, by resource. */
  private readonly ids = new Map<string, Set<string>>();
  /** Workflow → workflow references whose target was not seen yet when the caller was written. */
  private readonly forward: ForwardReference[] = [];
  /** Every reference warned about, as the manifest declares them (a restore accepts only these unresolved). */
  readonly declared: DanglingReference[] = [];

  constructor(
    private readonly warnings: ArchiveWarning[],
    /** Whether a resource was skipped: references into it cannot be judged. */
    private readonly skipped: (resource: string) => boolean,
  ) {}

  saved(): ReferencesState {
    return {
      ids: Object.fromEntries([...this.ids].map(([resource, ids]) => [resource, [...ids]])),
      forward: [...this.forward],
      declared: [...this.declared],
    };
  }

  /** Takes up what an earlier slice saved. */
  restore(state: ReferencesState): void {
    for (const [resource, ids] of Object.entries(state.ids)) this.ids.set(resource, new Set(ids));
    this.forward.push(...state.forward);
    this.declared.push(...(state.declared ?? []));
  }

  /** The ids of one resource written so far (the export adds each object it writes). */
  known(resource: string): Set<string> {
    let ids = this.ids.get(resource);
    if (!ids) {
      ids = new Set();
      this.ids.set(resource, ids);
    }
    return ids;
  }

  get workflowIds(): ReadonlySet<string> {
    return this.known('workflows');
  }

  observe(workflow: Workflow): void {
    this.known('workflows').add(workflow.id);
    for (const reference of findWorkflowReferences(workflow)) {
      switch (reference.kind) {
        case 'credential':
          if (!this.known('credentials').has(reference.id) && !this.skipped('credentials'))
            this.warn(workflow, reference);
          break;
        case 'dataTable':
          if (!this.known('dataTables').has(reference.id) && !this.skipped('dataTables'))
            this.warn(workflow, reference);
          break;
        default:
          if (!this.workflowIds.has(reference.id))
            this.forward.push({ workflow: { id: workflow.id, name: workflow.name }, reference });
      }
    }
  }

  /** Once every workflow is written: the workflow references still pointing at nothing. */
  checkForward(): void {
    for (const { workflow, reference } of this.forward)
      if (!this.workflowIds.has(reference.id)) this.warn(workflow, reference);
    this.forward.length = 0;
  }

  private warn(workflow: { id: string; name: string }, reference: WorkflowReference): void {
    this.warnings.push(danglingReferenceWarning(workflow, reference));
    const declared = {
      workflow: workflow.id,
      kind: reference.kind,
      id: reference.id,
      location: reference.location,
    };
    // A slice taking up a page an earlier slice read in part may meet the same reference again.
    const key = JSON.stringify(declared);
    if (!this.declared.some((d) => JSON.stringify(d) === key)) this.declared.push(declared);
  }
}
