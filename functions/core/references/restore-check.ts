/**
 * Every reference a restored workflow makes must land somewhere: on an object the restore writes
 * or one the target already has. The ones that cannot are named before anything is written.
 */

import type { RestoreResource } from '../kinds/index.js';
import type { PlanContext } from '../kinds/kind.js';
import { isDanglingReference, referredTo, type WorkflowReference } from './workflow-references.js';

export function checkReferences(ctx: PlanContext): void {
  const restored = (resource: RestoreResource) =>
    new Set(
      ctx
        .entries(resource)
        .filter((e) => e.action !== 'conflict' || e.renameTo)
        .map((e) => e.sourceId),
    );
  const workflows = restored('workflows');
  const credentials = restored('credentials');
  const tables = restored('dataTables');
  const targetCredentials = new Set((ctx.target.credentials ?? []).map((c) => c.id));
  const provided = (reference: WorkflowReference) =>
    reference.kind === 'credential'
      ? credentials.has(reference.id) || targetCredentials.has(reference.id)
      : reference.kind === 'dataTable'
        ? tables.has(reference.id)
        : workflows.has(reference.id);
  for (const workflow of ctx.source.workflows) {
    if (!ctx.isSelected('workflows', workflow.id)) continue;
    for (const reference of workflow.references) {
      if (provided(reference)) continue;
      // Caller lists name workflows that may legitimately be elsewhere; only calls and error handlers break.
      if (reference.kind === 'callerId' && !isDanglingReference(reference)) continue;
      const dangling = isDanglingReference(reference);
      ctx.warn({
        code: dangling ? 'dangling-reference' : 'unresolved-reference',
        resource: 'workflows',
        workflow: { id: workflow.id, name: workflow.name },
        ...(reference.node ? { node: reference.node } : {}),
        location: reference.location,
        message: `workflow "${workflow.name}"${reference.node ? ` node "${reference.node}"` : ''} (${reference.location}) refers to ${referredTo(reference)}${
          dangling ? '' : ', which neither the restore nor the target provides'
        }; it is left as is`,
      });
    }
  }
}
