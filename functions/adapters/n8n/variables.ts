/** Variables over n8n's Public API (`/variables`, licence feature feat:variables). */
import type { Variable, VariableWrite } from '../../core/n8n-types.js';
import type { N8nVariablesApi, PagedListing } from '../../core/ports.js';
import { enc, type N8nTransport } from './transport.js';

export class HttpVariables implements N8nVariablesApi {
  constructor(private readonly http: N8nTransport) {}

  listVariables(): PagedListing<Variable> {
    return this.http.list<Variable>('/variables', '/variables');
  }

  async createVariable(body: VariableWrite): Promise<void> {
    await this.http.json('POST', '/variables', { route: '/variables', body: withoutNullProject(body) });
  }

  async updateVariable(id: string, body: VariableWrite): Promise<void> {
    await this.http.json('PUT', `/variables/${enc(id)}`, { route: '/variables/{id}', body });
  }
}

/** A global variable is sent without `projectId`. */
function withoutNullProject(body: VariableWrite): VariableWrite {
  if (body.projectId === null || body.projectId === undefined) return { key: body.key, value: body.value };
  return body;
}
