/**
 * /data-tables: n8n 2.41.1's legacy data-table handlers (express-openapi-validator first, then a
 * zod DTO whose first message is answered bare, then the data-table service), on SQLite:
 * rows keep column order then id/createdAt/updatedAt, `like` is case-sensitive (GLOB), row ids
 * restart after the table is emptied (SQLite rowids), column types are string|number|boolean|date
 * (the spec lists `json`, the DTO refuses it).
 */
import type { Json, JsonObject } from '../../../functions/core/n8n-types.js';
import { ApiError, type Context, found, legacy, noContent, ok, type Route } from '../http.js';
import { legacyWindow, nextCursor, slice, validateLegacyPaging } from '../paging.js';
import type { DataTableColumnType, DoubleState, StoredColumn, StoredDataTable, StoredRow } from '../state.js';

const COLUMN_TYPES: readonly DataTableColumnType[] = ['string', 'number', 'boolean', 'date'];
const COLUMN_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const COLUMN_NAME_MESSAGE =
  'Only alphabetical characters and non-leading numbers and underscores are allowed for column names, and the maximum length is 63 characters.';
const SYSTEM_COLUMNS = ['id', 'createdAt', 'updatedAt'];
const NANOID = /^[A-Za-z0-9]{16}$/;
const CONDITIONS = ['eq', 'neq', 'like', 'ilike', 'gt', 'gte', 'lt', 'lte', 'isEmpty', 'isNotEmpty'] as const;
type Condition = (typeof CONDITIONS)[number];
const TABLE_SORTS = [
  'name:asc',
  'name:desc',
  'createdAt:asc',
  'createdAt:desc',
  'updatedAt:asc',
  'updatedAt:desc',
  'size:asc',
  'size:desc',
];

interface RowFilter {
  type: 'and' | 'or';
  filters: { columnName: string; condition: Condition; value: Json }[];
}

const validationError = (message: string) =>
  new ApiError(400, `Validation error with data table request: ${message}`);

// ---- rendering

function renderColumn(column: StoredColumn, tableId?: string) {
  return {
    updatedAt: column.updatedAt,
    createdAt: column.createdAt,
    id: column.id,
    ...(tableId ? { dataTableId: tableId } : {}),
    name: column.name,
    type: column.type,
    index: column.index,
  };
}

/** SQLite's page-based size: an empty table is 4096 bytes. */
function sizeBytes(table: StoredDataTable): number {
  const bytes = table.rows.length * (32 + table.columns.length * 16);
  return 4096 * Math.max(1, Math.ceil(bytes / 4096));
}

function renderTable(table: StoredDataTable, withColumnTableId = false) {
  // n8n does not order the joined columns by index; clients must sort by `index` themselves.
  const columns = [...table.columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    updatedAt: table.updatedAt,
    createdAt: table.createdAt,
    id: table.id,
    name: table.name,
    projectId: table.projectId,
    columns: columns.map((c) => renderColumn(c, withColumnTableId ? table.id : undefined)),
    sizeBytes: sizeBytes(table),
  };
}

function renderRow(row: StoredRow) {
  return { ...row.values, id: row.id, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

// ---- validation helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tableParam(ctx: Context): void {
  if (!NANOID.test(ctx.params.dataTableId ?? ''))
    throw new ApiError(400, 'request/params/dataTableId must match format "nanoid"');
}

function tableOr404(state: DoubleState, id: string | undefined): StoredDataTable {
  return found(state.dataTables.get(id ?? ''), `Could not find the data table: '${id}'`);
}

function jsonStringQuery(ctx: Context, name: string): void {
  const raw = ctx.query.get(name);
  if (raw === null) return;
  try {
    JSON.parse(raw);
  } catch {
    throw new ApiError(400, `request/query/${name} must match format "jsonString"`);
  }
}

function columnName(value: unknown): string {
  if (typeof value !== 'string') throw new ApiError(400, `Expected string, received ${typeof value}`);
  const name = value.trim();
  if (name.length < 1) throw new ApiError(400, 'String must contain at least 1 character(s)');
  if (name.length > 63 || !COLUMN_NAME.test(name)) throw new ApiError(400, COLUMN_NAME_MESSAGE);
  return name;
}

function columnType(value: unknown): DataTableColumnType {
  if (!COLUMN_TYPES.includes(value as DataTableColumnType))
    throw new ApiError(
      400,
      `Invalid enum value. Expected 'string' | 'number' | 'boolean' | 'date', received '${String(value)}'`,
    );
  return value as DataTableColumnType;
}

function assertNotSystemColumn(name: string): void {
  if (SYSTEM_COLUMNS.some((system) => system.toLowerCase() === name.toLowerCase()))
    throw new ApiError(400, `Column name "${name}" is reserved as a system column name.`);
}

const DATE_ISO =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function toIsoDate(value: string): string | undefined {
  if (!DATE_ISO.test(value)) return undefined;
  const hasZone = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(value) && value.length > 10;
  const date = new Date(
    hasZone ? value : value.length === 10 ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`,
  );
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject dates JavaScript rolls over (2024-02-31): the calendar part must survive the round trip.
  if (!hasZone && date.toISOString().slice(0, 10) !== value.slice(0, 10)) return undefined;
  return date.toISOString();
}

/** A cell as n8n's validateFieldType (strict: false) turns it into what SQLite stores and returns. */
function cellValue(column: StoredColumn, cell: unknown): Json {
  if (cell === null) return null;
  const mismatch = (expects: string, tail = '') =>
    validationError(
      `value '${String(cell)}' does not match column type '${column.type}': '${column.name}' expects a ${expects} but we got '${String(cell)}'${tail}`,
    );
  switch (column.type) {
    case 'string':
      if (typeof cell === 'string') return cell;
      if (typeof cell === 'number') return String(cell);
      if (typeof cell === 'boolean') return cell ? '1' : '0';
      throw mismatch('string');
    case 'number': {
      if (typeof cell === 'number') return cell;
      if (typeof cell === 'boolean') return cell ? 1 : 0;
      const value = typeof cell === 'string' ? Number(cell) : Number.NaN;
      if (Number.isNaN(value)) throw mismatch('number');
      return value;
    }
    case 'boolean':
      if (typeof cell === 'boolean') return cell;
      if (cell === 1 || cell === 0) return cell === 1;
      if (cell === 'true' || cell === 'false') return cell === 'true';
      throw mismatch('boolean');
    case 'date': {
      const iso = typeof cell === 'string' ? toIsoDate(cell) : undefined;
      if (iso === undefined)
        throw mismatch(
          'dateTime',
          ' <br/><br/> Consider using <a href="https://moment.github.io/luxon/api-docs/index.html#datetimefromformat" target="_blank"><code>DateTime.fromFormat</code></a> to work with custom date formats.',
        );
      return iso;
    }
  }
}

/** The DTO's row check (column names, values string|number|boolean|null) then the service's. */
function rowValues(table: StoredDataTable, row: unknown): Record<string, Json> {
  if (!isObject(row))
    throw new ApiError(400, `Expected object, received ${Array.isArray(row) ? 'array' : typeof row}`);
  for (const [key, cell] of Object.entries(row)) {
    if (!COLUMN_NAME.test(key.trim())) throw new ApiError(400, COLUMN_NAME_MESSAGE);
    if (cell !== null && !['string', 'number', 'boolean'].includes(typeof cell))
      throw new ApiError(400, 'Invalid input');
  }
  const values: Record<string, Json> = {};
  for (const [key, cell] of Object.entries(row)) {
    const column = table.columns.find((c) => c.name === key);
    if (!column) throw validationError(`unknown column name '${key}'`);
    values[key] = cellValue(column, cell);
  }
  return values;
}

/** dataTableFilterSchema (type defaults to and, condition to eq); "Invalid filter fields" otherwise. */
function parseRowFilter(raw: unknown): RowFilter {
  const invalid = () => new ApiError(400, 'Invalid filter fields');
  if (!isObject(raw)) throw invalid();
  const type = raw.type ?? 'and';
  if (type !== 'and' && type !== 'or') throw invalid();
  const filters = raw.filters ?? [];
  if (!Array.isArray(filters)) throw invalid();
  return {
    type,
    filters: filters.map((f) => {
      if (!isObject(f) || typeof f.columnName !== 'string' || !COLUMN_NAME.test(f.columnName))
        throw invalid();
      const condition = (f.condition ?? 'eq') as Condition;
      if (!CONDITIONS.includes(condition)) throw invalid();
      const value = f.value;
      if (value === undefined || (value !== null && !['string', 'number', 'boolean'].includes(typeof value)))
        throw invalid();
      return { columnName: f.columnName, condition, value: value as Json };
    }),
  };
}

function queryFilter(ctx: Context, required = false): RowFilter | undefined {
  const raw = ctx.query.get('filter');
  if (raw === null || raw === '') {
    if (required) throw new ApiError(400, 'Filter is required for delete operations');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'Invalid filter format');
  }
  return parseRowFilter(parsed);
}

/**
 * `id gt X` alone (how n8n-ark reads rows page after page): the rows after X found by bisection, as
 * n8n's database finds them by its index on id, not by testing every row of the table on each page.
 * Rows are kept in id order (ids only grow). Undefined for any other filter.
 */
function rowsAfterId(table: StoredDataTable, filter: RowFilter): StoredRow[] | undefined {
  const [only] = filter.filters;
  if (filter.filters.length !== 1 || only?.columnName !== 'id' || only.condition !== 'gt') return undefined;
  if (typeof only.value !== 'number') return undefined;
  rowPredicate(table, filter); // the same validation as any filter
  let low = 0;
  let high = table.rows.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((table.rows[middle] as StoredRow).id <= only.value) low = middle + 1;
    else high = middle;
  }
  return table.rows.slice(low);
}

/** Turns a filter into a row predicate, checking columns and values the way the service does. */
function rowPredicate(table: StoredDataTable, filter: RowFilter): (row: StoredRow) => boolean {
  const tests = filter.filters.map(({ columnName, condition, value }) => {
    const system =
      columnName === 'id'
        ? 'number'
        : columnName === 'createdAt' || columnName === 'updatedAt'
          ? 'date'
          : undefined;
    const column = table.columns.find((c) => c.name === columnName);
    if (!column && !system) throw validationError(`unknown column name '${columnName}'`);
    const type = column?.type ?? (system as DataTableColumnType);
    const probe: StoredColumn = column ?? {
      id: '',
      name: columnName,
      type,
      index: 0,
      createdAt: '',
      updatedAt: '',
    };
    let wanted = value === null ? null : cellValue(probe, value);
    let effective: Condition = condition;
    if (type !== 'string' && condition === 'isEmpty') [effective, wanted] = ['eq', null];
    if (type !== 'string' && condition === 'isNotEmpty') [effective, wanted] = ['neq', null];
    // n8n checks the value as sent: a number is no LIKE pattern, even against a string column.
    const sent = value === null || type !== 'string' ? wanted : value;
    if ((effective === 'like' || effective === 'ilike') && typeof sent !== 'string')
      throw validationError(
        wanted === null
          ? `${effective.toUpperCase()} filter value cannot be null or undefined`
          : `${effective.toUpperCase()} filter value must be a string`,
      );
    if (['gt', 'gte', 'lt', 'lte'].includes(effective) && wanted === null)
      throw validationError(`${effective.toUpperCase()} filter value cannot be null or undefined`);
    const read = (row: StoredRow): Json =>
      columnName === 'id'
        ? row.id
        : columnName === 'createdAt'
          ? row.createdAt
          : columnName === 'updatedAt'
            ? row.updatedAt
            : (row.values[columnName] ?? null);
    const like = (pattern: string, caseless: boolean) => {
      const withWildcards = pattern.includes('%') ? pattern : `%${pattern}%`;
      const source = withWildcards
        .split('%')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return new RegExp(`^${source}$`, caseless ? 'is' : 's');
    };
    const pattern =
      typeof wanted === 'string' && (effective === 'like' || effective === 'ilike')
        ? like(wanted, effective === 'ilike')
        : undefined;
    return (row: StoredRow): boolean => {
      const cell = read(row);
      switch (effective) {
        case 'isEmpty':
          return cell === null || cell === '';
        case 'isNotEmpty':
          return cell !== null && cell !== '';
        case 'eq':
          return wanted === null ? cell === null : cell === wanted;
        case 'neq':
          return wanted === null ? cell !== null : cell === null || cell !== wanted;
        case 'gt':
          return cell !== null && (cell as number | string) > (wanted as number | string);
        case 'gte':
          return cell !== null && (cell as number | string) >= (wanted as number | string);
        case 'lt':
          return cell !== null && (cell as number | string) < (wanted as number | string);
        case 'lte':
          return cell !== null && (cell as number | string) <= (wanted as number | string);
        default:
          return cell !== null && pattern?.test(String(cell)) === true;
      }
    };
  });
  if (tests.length === 0) return () => true;
  return filter.type === 'or' ? (row) => tests.some((t) => t(row)) : (row) => tests.every((t) => t(row));
}

function sortRows(rows: StoredRow[], sortBy: string | null): StoredRow[] {
  if (sortBy === null) return rows;
  if (!sortBy.includes(':')) throw new ApiError(400, 'Invalid sort format, expected <columnName>:<asc/desc>');
  const [column = '', rawDirection] = sortBy.split(':');
  if (!COLUMN_NAME.test(column.trim())) throw new ApiError(400, COLUMN_NAME_MESSAGE);
  const direction = rawDirection?.toUpperCase();
  if (direction !== 'ASC' && direction !== 'DESC') throw new ApiError(400, 'Invalid sort direction');
  const read = (row: StoredRow): Json =>
    column === 'id'
      ? row.id
      : column === 'createdAt'
        ? row.createdAt
        : column === 'updatedAt'
          ? row.updatedAt
          : (row.values[column] ?? null);
  const sign = direction === 'ASC' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = read(a);
    const y = read(b);
    // SQL sorts NULL first ascending (SQLite), then ties fall back to id ascending.
    if (x !== y) {
      if (x === null) return -sign;
      if (y === null) return sign;
      return (x < y ? -1 : 1) * sign;
    }
    return a.id - b.id;
  });
}

function search(rows: StoredRow[], term: string | null): StoredRow[] {
  if (!term || term.trim() === '') return rows;
  const needle = term.replace(/%/g, '').toUpperCase();
  return rows.filter((row) =>
    Object.values(row.values).some((v) => v !== null && String(v).toUpperCase().includes(needle)),
  );
}

function uniqueName(state: DoubleState, name: string, projectId: string, exceptId?: string): void {
  for (const table of state.dataTables.values()) {
    if (table.name === name && table.projectId === projectId && table.id !== exceptId)
      throw new ApiError(409, `Data table with name '${name}' already exists in this project`);
  }
}

function touch(state: DoubleState, table: StoredDataTable): void {
  table.updatedAt = state.now();
}

/** SQLite reuses rowids from the top: the next id is one above the highest left. */
function resetRowIds(table: StoredDataTable): void {
  table.nextRowId = (table.rows.at(-1)?.id ?? 0) + 1;
}

function bodyObject(ctx: Context): Record<string, unknown> {
  if (!isObject(ctx.body)) throw new ApiError(400, 'request/body must be object');
  return ctx.body;
}

function requireBodyFields(ctx: Context, ...fields: string[]): Record<string, unknown> {
  const body = bodyObject(ctx);
  for (const field of fields)
    if (!(field in body)) throw new ApiError(400, `request/body must have required property '${field}'`);
  return body;
}

/** The spec's filter objects for update/upsert need all three of columnName, condition, value. */
function requireFilterItems(body: Record<string, unknown>): void {
  const filter = body.filter;
  if (!isObject(filter)) throw new ApiError(400, 'request/body/filter must be object');
  if (!Array.isArray(filter.filters)) return;
  if (filter.filters.length === 0)
    throw new ApiError(400, 'request/body/filter/filters must NOT have fewer than 1 items');
  filter.filters.forEach((item, index) => {
    for (const field of ['columnName', 'condition', 'value'])
      if (!isObject(item) || !(field in item))
        throw new ApiError(
          400,
          `request/body/filter/filters/${index} must have required property '${field}'`,
        );
  });
}

function updateParams(table: StoredDataTable, body: Record<string, unknown>) {
  const filter = parseRowFilter(body.filter);
  if (filter.filters.length === 0) throw new ApiError(400, 'filter must not be empty');
  if (!isObject(body.data) || Object.keys(body.data).length === 0)
    throw new ApiError(400, 'data must not be empty');
  const data = rowValues(table, body.data);
  return { matches: rowPredicate(table, filter), data };
}

const scope = (name: string) => [{ scope: name }];

export function dataTableRoutes(): Route[] {
  return [
    legacy(
      'GET',
      '/data-tables',
      scope('dataTable:list'),
      (ctx) => {
        const { state, query } = ctx;
        const window = legacyWindow(query);
        let filter: Record<string, unknown> | undefined;
        const rawFilter = query.get('filter');
        if (rawFilter) {
          filter = JSON.parse(rawFilter) as Record<string, unknown>;
          const allowed = ['id', 'name', 'projectId'];
          if (!isObject(filter) || Object.keys(filter).some((k) => !allowed.includes(k)))
            throw new ApiError(400, 'Invalid filter fields');
        }
        const sortBy = query.get('sortBy');
        if (sortBy !== null && !TABLE_SORTS.includes(sortBy))
          throw new ApiError(400, `sortBy must be one of: ${TABLE_SORTS.join(', ')}`);
        const listOf = (v: unknown) =>
          v === undefined ? undefined : ([] as unknown[]).concat(v).map(String);
        const ids = listOf(filter?.id);
        const projectIds = listOf(filter?.projectId);
        const names = listOf(filter?.name)?.map((n) => n.toLowerCase());
        const tables = [...state.dataTables.values()].filter(
          (t) =>
            (!ids || ids.includes(t.id)) &&
            (!projectIds || projectIds.includes(t.projectId)) &&
            (!names || names.every((n) => t.name.toLowerCase().includes(n))),
        );
        const [field = 'updatedAt', direction = 'desc'] = (sortBy ?? 'updatedAt:desc').split(':');
        const key = (t: StoredDataTable): string | number =>
          field === 'name'
            ? t.name.toLowerCase()
            : field === 'size'
              ? sizeBytes(t)
              : field === 'createdAt'
                ? t.createdAt
                : t.updatedAt;
        const sign = direction === 'asc' ? 1 : -1;
        tables.sort((a, b) => {
          const x = key(a);
          const y = key(b);
          return x === y ? (a.id < b.id ? -1 : 1) : (x < y ? -1 : 1) * sign;
        });
        return ok({
          data: slice(tables, window).map((t) => renderTable(t)),
          nextCursor: nextCursor(window, tables.length),
        });
      },
      (ctx) => {
        validateLegacyPaging(ctx.query);
        jsonStringQuery(ctx, 'filter');
      },
      { declared: ['limit', 'cursor', 'filter', 'sortBy'] },
    ),

    legacy(
      'POST',
      '/data-tables',
      scope('dataTable:create'),
      (ctx) => {
        const { state } = ctx;
        const body = bodyObject(ctx);
        if (typeof body.name !== 'string')
          throw new ApiError(400, `Expected string, received ${typeof body.name}`);
        const name = body.name.trim();
        if (name.length < 1) throw new ApiError(400, 'String must contain at least 1 character(s)');
        if (name.length > 128) throw new ApiError(400, 'String must contain at most 128 character(s)');
        const columns = (body.columns as unknown[]).map((raw) => {
          const column = isObject(raw) ? raw : {};
          return { name: columnName(column.name), type: columnType(column.type) };
        });
        const projectId = typeof body.projectId === 'string' ? body.projectId : state.personalProjectId;
        if (!state.projects.has(projectId))
          throw new ApiError(400, `Project with ID "${projectId}" not found`);
        uniqueName(state, name, projectId);
        for (const column of columns) assertNotSystemColumn(column.name);
        const table = state.createDataTable({ name, projectId, columns });
        return ok(renderTable(table, true), 201);
      },
      (ctx) => {
        const body = requireBodyFields(ctx, 'name', 'columns');
        if (!Array.isArray(body.columns)) throw new ApiError(400, 'request/body/columns must be array');
        body.columns.forEach((column, index) => {
          for (const field of ['name', 'type'])
            if (!isObject(column) || !(field in column))
              throw new ApiError(400, `request/body/columns/${index} must have required property '${field}'`);
          // The table route's spec still lists `json`; the DTO behind it refuses it.
          if (isObject(column) && ![...COLUMN_TYPES, 'json'].includes(String(column.type)))
            throw new ApiError(
              400,
              `request/body/columns/${index}/type must be equal to one of the allowed values: string, number, boolean, date, json`,
            );
        });
      },
    ),

    legacy(
      'GET',
      '/data-tables/:dataTableId',
      scope('dataTable:read'),
      (ctx) => ok(renderTable(tableOr404(ctx.state, ctx.params.dataTableId), true)),
      tableParam,
    ),

    legacy(
      'PATCH',
      '/data-tables/:dataTableId',
      scope('dataTable:update'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        const body = bodyObject(ctx);
        if (typeof body.name !== 'string' || body.name.trim() === '')
          throw new ApiError(400, 'String must contain at least 1 character(s)');
        const name = body.name.trim();
        uniqueName(ctx.state, name, table.projectId, table.id);
        table.name = name;
        touch(ctx.state, table);
        return ok(renderTable(table, true));
      },
      (ctx) => {
        tableParam(ctx);
        requireBodyFields(ctx, 'name');
      },
    ),

    legacy(
      'DELETE',
      '/data-tables/:dataTableId',
      scope('dataTable:delete'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        ctx.state.dataTables.delete(table.id);
        return noContent();
      },
      tableParam,
    ),

    legacy(
      'GET',
      '/data-tables/:dataTableId/columns',
      scope('dataTableColumn:read'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        return ok([...table.columns].sort((a, b) => a.index - b.index).map((c) => renderColumn(c, table.id)));
      },
      tableParam,
    ),

    legacy(
      'POST',
      '/data-tables/:dataTableId/columns',
      scope('dataTableColumn:create'),
      (ctx) => {
        const { state } = ctx;
        const table = tableOr404(state, ctx.params.dataTableId);
        const body = bodyObject(ctx);
        const name = columnName(body.name);
        const type = columnType(body.type);
        if (table.columns.some((c) => c.name === name))
          throw new ApiError(
            409,
            `Data table column with name '${name}' already exists in data table '${table.name}'`,
          );
        assertNotSystemColumn(name);
        const now = state.now();
        const index =
          typeof body.index === 'number' ? Math.min(body.index, table.columns.length) : table.columns.length;
        for (const c of table.columns) if (c.index >= index) c.index += 1;
        const column: StoredColumn = { id: state.newId(), name, type, index, createdAt: now, updatedAt: now };
        table.columns.push(column);
        for (const row of table.rows) row.values[name] = null;
        touch(state, table);
        // A fresh column entity, in the order TypeORM fills it.
        return ok(
          {
            dataTableId: table.id,
            name: column.name,
            type: column.type,
            index: column.index,
            id: column.id,
            updatedAt: column.updatedAt,
            createdAt: column.createdAt,
          },
          201,
        );
      },
      (ctx) => {
        tableParam(ctx);
        const body = requireBodyFields(ctx, 'name', 'type');
        // The column route's spec, unlike the table one, has no `json`.
        if (!COLUMN_TYPES.includes(body.type as DataTableColumnType))
          throw new ApiError(
            400,
            'request/body/type must be equal to one of the allowed values: string, number, boolean, date',
          );
      },
    ),

    legacy(
      'PATCH',
      '/data-tables/:dataTableId/columns/:columnId',
      scope('dataTableColumn:update'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        const column = found(
          table.columns.find((c) => c.id === ctx.params.columnId),
          `Could not find the column '${ctx.params.columnId}' in the data table: ${table.id}`,
        );
        const body = bodyObject(ctx);
        if (body.name !== undefined) {
          const name = columnName(body.name);
          if (table.columns.some((c) => c.name === name && c.id !== column.id))
            throw new ApiError(
              409,
              `Data table column with name '${name}' already exists in data table '${table.name}'`,
            );
          assertNotSystemColumn(name);
          for (const row of table.rows) {
            row.values[name] = row.values[column.name] ?? null;
            delete row.values[column.name];
          }
          column.name = name;
        }
        if (typeof body.index === 'number') {
          const ordered = [...table.columns]
            .sort((a, b) => a.index - b.index)
            .filter((c) => c.id !== column.id);
          ordered.splice(Math.max(0, Math.min(body.index, ordered.length)), 0, column);
          ordered.forEach((c, index) => {
            c.index = index;
          });
        }
        column.updatedAt = ctx.state.now();
        return ok(renderColumn(column, table.id));
      },
      tableParam,
    ),

    legacy(
      'DELETE',
      '/data-tables/:dataTableId/columns/:columnId',
      scope('dataTableColumn:delete'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        const column = found(
          table.columns.find((c) => c.id === ctx.params.columnId),
          `Could not find the column '${ctx.params.columnId}' in the data table: ${table.id}`,
        );
        table.columns = table.columns.filter((c) => c.id !== column.id);
        table.columns
          .sort((a, b) => a.index - b.index)
          .forEach((c, index) => {
            c.index = index;
          });
        for (const row of table.rows) delete row.values[column.name];
        touch(ctx.state, table);
        return noContent();
      },
      tableParam,
    ),

    legacy(
      'GET',
      '/data-tables/:dataTableId/rows',
      scope('dataTableRow:read'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        const window = legacyWindow(ctx.query);
        const filter = queryFilter(ctx);
        let rows = filter
          ? (rowsAfterId(table, filter) ?? table.rows.filter(rowPredicate(table, filter)))
          : table.rows;
        rows = search(rows, ctx.query.get('search'));
        rows = sortRows(rows, ctx.query.get('sortBy'));
        return ok({
          data: slice(rows, window).map((row) => renderRow(row)),
          nextCursor: nextCursor(window, rows.length),
        });
      },
      (ctx) => {
        tableParam(ctx);
        validateLegacyPaging(ctx.query);
        jsonStringQuery(ctx, 'filter');
      },
      { declared: ['limit', 'cursor', 'filter', 'sortBy', 'search'] },
    ),

    legacy(
      'POST',
      '/data-tables/:dataTableId/rows',
      scope('dataTableRow:create'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        const body = bodyObject(ctx);
        const returnType = body.returnType ?? 'count';
        if (!['count', 'id', 'all'].includes(returnType as string)) throw new ApiError(400, 'Invalid input');
        const rows = (body.data as unknown[]).map((row) => rowValues(table, row));
        resetRowIds(table);
        const inserted = ctx.state.insertRows(table, rows);
        if (returnType === 'count') return ok({ success: true, insertedRows: inserted.length });
        if (returnType === 'id') return ok(inserted.map((row) => ({ id: row.id })));
        return ok(inserted.map((row) => renderRow(row)));
      },
      (ctx) => {
        tableParam(ctx);
        const body = requireBodyFields(ctx, 'data');
        if (!Array.isArray(body.data)) throw new ApiError(400, 'request/body/data must be array');
        if (body.data.length < 1)
          throw new ApiError(400, 'request/body/data must NOT have fewer than 1 items');
      },
    ),

    legacy(
      'PATCH',
      '/data-tables/:dataTableId/rows/update',
      scope('dataTableRow:update'),
      (ctx) => {
        const { state } = ctx;
        const table = tableOr404(state, ctx.params.dataTableId);
        const body = bodyObject(ctx);
        const { matches, data } = updateParams(table, body);
        const targets = table.rows.filter(matches);
        if (body.dryRun === true) return ok(targets.map((row) => ({ ...renderRow(row), ...data })));
        const now = state.now();
        for (const row of targets) {
          Object.assign(row.values, data);
          row.updatedAt = now;
        }
        if (targets.length > 0) touch(state, table);
        return ok(body.returnData === true ? targets.map((row) => renderRow(row)) : true);
      },
      (ctx) => {
        tableParam(ctx);
        requireFilterItems(requireBodyFields(ctx, 'filter', 'data'));
      },
    ),

    legacy(
      'POST',
      '/data-tables/:dataTableId/rows/upsert',
      scope('dataTableRow:upsert'),
      (ctx) => {
        const { state } = ctx;
        const table = tableOr404(state, ctx.params.dataTableId);
        const body = bodyObject(ctx);
        const { matches, data } = updateParams(table, body);
        const targets = table.rows.filter(matches);
        if (body.dryRun === true) return ok(targets.map((row) => ({ ...renderRow(row), ...data })));
        const now = state.now();
        let changed: StoredRow[];
        if (targets.length > 0) {
          for (const row of targets) {
            Object.assign(row.values, data);
            row.updatedAt = now;
          }
          changed = targets;
        } else {
          resetRowIds(table);
          changed = state.insertRows(table, [data]);
        }
        touch(state, table);
        return ok(body.returnData === true ? changed.map((row) => renderRow(row)) : true);
      },
      (ctx) => {
        tableParam(ctx);
        requireFilterItems(requireBodyFields(ctx, 'filter', 'data'));
      },
    ),

    legacy(
      'DELETE',
      '/data-tables/:dataTableId/rows/delete',
      scope('dataTableRow:delete'),
      (ctx) => {
        const { state } = ctx;
        const table = tableOr404(state, ctx.params.dataTableId);
        const filter = queryFilter(ctx, true);
        if (!filter || filter.filters.length === 0)
          throw new ApiError(400, 'At least one filter condition is required for delete operations');
        const matches = rowPredicate(table, filter);
        const doomed = table.rows.filter(matches);
        const returnData = ctx.query.get('returnData') === 'true';
        if (ctx.query.get('dryRun') !== 'true' && doomed.length > 0) {
          table.rows = table.rows.filter((row) => !matches(row));
          touch(state, table);
        }
        return ok(returnData ? doomed.map((row) => renderRow(row)) : true);
      },
      (ctx) => {
        tableParam(ctx);
        if (ctx.query.get('filter') === null)
          throw new ApiError(400, "request/query must have required property 'filter'");
        jsonStringQuery(ctx, 'filter');
      },
      { declared: ['filter', 'returnData', 'dryRun'] },
    ),

    legacy(
      'DELETE',
      '/data-tables/:dataTableId/rows/clear',
      scope('dataTableRow:delete'),
      (ctx) => {
        const table = tableOr404(ctx.state, ctx.params.dataTableId);
        const deletedCount = table.rows.length;
        table.rows = [];
        touch(ctx.state, table);
        return ok({ deletedCount });
      },
      tableParam,
    ),
  ];
}

/** Rows seeded straight into the state go through the same cell rules as the API. */
export function checkedRow(table: StoredDataTable, row: JsonObject): Record<string, Json> {
  return rowValues(table, row);
}
