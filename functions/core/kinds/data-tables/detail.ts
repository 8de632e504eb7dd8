/** What a data table's plan entry says of its rows (flat on the entry: part of the ledger's plan). */
import type { DataTable } from '../../n8n-types.js';
import type { PlanEntryDetail } from '../shared/plan-records.js';

declare module '../shared/plan-records.js' {
  interface PlanEntryDetail {
    /** Data tables: the rows the archive holds for it, and what the restore does with the target's. */
    rows?: PlannedRows;
  }
}
declare module '../shared/state.js' {
  interface SourceRecords {
    dataTables: DataTable[];
  }
  interface TargetRecords {
    dataTables: DataTable[] | undefined;
  }
}

export type DataTableEntryDetail = Pick<PlanEntryDetail, 'rows'>;

export interface PlannedRows {
  /** Rows the archive holds for the table (what a create, append or replace writes). */
  archive: number;
  /** Rows the matched target table held when planned. */
  target?: number;
  /** For an existing table (an `update`): add the archive's rows, or delete the target's first. */
  mode?: 'append' | 'replace';
}
