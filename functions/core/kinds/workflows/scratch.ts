/** A drill's wipe of a workflow: unpublished first, then deleted once n8n has let go of it. */
import { ConflictError } from '../../errors.js';
import type { Workflow } from '../../n8n-types.js';
import type { N8nScratchApi } from '../../ports.js';

/** How long a delete waits between tries while n8n still unpublishes the workflow (409), and how often. */
const SETTLE_PAUSE_MS = 250;
const SETTLE_TRIES = 40;

export async function wipeWorkflow(
  api: N8nScratchApi,
  workflow: Workflow,
  pause: (ms: number) => Promise<void>,
): Promise<void> {
  if (workflow.active) await api.unpublishWorkflow(workflow.id);
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api.deleteWorkflow(workflow.id);
    } catch (error) {
      if (attempt >= SETTLE_TRIES || !(error instanceof ConflictError)) throw error;
      await pause(SETTLE_PAUSE_MS);
    }
  }
}
