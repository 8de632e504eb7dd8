/** Executions over n8n's Public API (`/executions`): only what a cutover asks, how many still run. */
import type { N8nExecutionsApi } from '../../core/ports.js';
import type { N8nTransport } from './transport.js';

export class HttpExecutions implements N8nExecutionsApi {
  constructor(private readonly http: N8nTransport) {}

  async runningExecutions(): Promise<{ id: string; workflowId: string }[]> {
    const running: { id: string; workflowId: string }[] = [];
    for await (const execution of this.http.list<{ id: unknown; workflowId: unknown }>(
      '/executions',
      '/executions',
      { status: 'running' },
    ))
      running.push({ id: String(execution.id), workflowId: String(execution.workflowId) });
    return running;
  }
}
