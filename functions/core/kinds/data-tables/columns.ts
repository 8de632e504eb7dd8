/**
 * What n8n takes as a data table's columns (n8n 2.41's `dataTableColumnTypeSchema` and
 * `dataTableColumnNameSchema` in @n8n/api-types, and the unique index on a table's column names):
 * an archived table whose columns n8n would refuse is no table n8n ever had.
 */
import type { DataTable } from '../../n8n-types.js';

/** The column types n8n has (its public spec also lists `json`, which the DTO behind it refuses). */
export const COLUMN_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'boolean', 'date']);

/** A letter, then letters, digits and `_`, at most 63 in all. */
const COLUMN_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;

/** What is wrong with a table's columns, or undefined. */
export function columnsProblem(table: DataTable): string | undefined {
  const names = new Set<string>();
  for (const column of table.columns) {
    const which = `column ${JSON.stringify(String(column.name).slice(0, 70))}`;
    if (!COLUMN_TYPES.has(column.type))
      return `${which} has type ${JSON.stringify(String(column.type).slice(0, 30))}, which n8n does not have (${[...COLUMN_TYPES].join(', ')})`;
    if (!COLUMN_NAME.test(column.name))
      return `${which} is not a name n8n takes (a letter, then letters, digits or _, up to 63)`;
    if (names.has(column.name)) return `${which} appears twice`;
    names.add(column.name);
  }
  return undefined;
}
