/** Data tables and their rows over n8n's Public API (`/data-tables`). */
import type { DataTable, DataTableRow, DataTableWrite } from '../../core/n8n-types.js';
import type {
  ListingPosition,
  N8nDataTablesApi,
  N8nScratchDeletes,
  PagedListing,
  PositionedListing,
} from '../../core/ports.js';
import { enc, type N8nTransport } from './transport.js';

export class HttpDataTables implements N8nDataTablesApi, Pick<N8nScratchDeletes, 'deleteDataTable'> {
  constructor(private readonly http: N8nTransport) {}

  listDataTables(): PagedListing<DataTable> {
    return this.http.list<DataTable>('/data-tables', '/data-tables');
  }

  listDataTableRows(dataTableId: string, from?: ListingPosition): PositionedListing<DataTableRow> {
    // By id, not by offset: rows deleted meanwhile cannot make a page skip rows (id-pages.ts).
    return this.http.listRows<DataTableRow>(
      `/data-tables/${enc(dataTableId)}/rows`,
      '/data-tables/{dataTableId}/rows',
      from,
    );
  }

  createDataTable(body: DataTableWrite): Promise<DataTable> {
    return this.http.json('POST', '/data-tables', { route: '/data-tables', body });
  }

  async insertDataTableRows(dataTableId: string, rows: DataTableRow[]): Promise<number> {
    const result = await this.http.json<unknown>('POST', `/data-tables/${enc(dataTableId)}/rows`, {
      route: '/data-tables/{dataTableId}/rows',
      body: { data: rows, returnType: 'count' },
    });
    if (typeof result === 'number') return result;
    // n8n 2.41 answers {success, insertedRows}; older answers carried {count}.
    const answer = result as { count?: unknown; insertedRows?: unknown } | null;
    const count = answer?.insertedRows ?? answer?.count;
    return typeof count === 'number' ? count : rows.length;
  }

  async clearDataTableRows(dataTableId: string): Promise<void> {
    await this.http.json('DELETE', `/data-tables/${enc(dataTableId)}/rows/clear`, {
      route: '/data-tables/{dataTableId}/rows/clear',
    });
  }

  /** Only a drill's --wipe-scratch sends it (N8nScratchDeletes). */
  async deleteDataTable(id: string): Promise<void> {
    await this.http.json('DELETE', `/data-tables/${enc(id)}`, { route: '/data-tables/{dataTableId}' });
  }
}
