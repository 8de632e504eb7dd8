import { N8nApiError } from '../../../functions/core/errors.js';
import type { WorkflowWrite } from '../../../functions/core/n8n-types.js';
import type { MemoryN8n } from '../fakes/memory-n8n.js';

/**
 * From now on n8n refuses to create the workflow of this name (400, as for a body it will not take);
 * the returned function makes it take it again.
 */
export function refuseWorkflow(target: MemoryN8n, name: string): () => void {
  const createWorkflow = target.createWorkflow.bind(target);
  target.createWorkflow = async (body: WorkflowWrite) => {
    if (body.name === name)
      throw new N8nApiError('request/body is invalid', { status: 400, method: 'POST', path: '/workflows' });
    return createWorkflow(body);
  };
  return () => {
    target.createWorkflow = createWorkflow;
  };
}
