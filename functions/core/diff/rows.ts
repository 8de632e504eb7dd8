/**
 * Data-table rows compared between two sides, table by table (the tables both have, by key), row by
 * row in order: the first difference and each side's count. A sliced comparison (sliced.ts) keeps a
 * table's comparison (TableComparison) between slices.
 */
import { stableStringify } from '../json.js';
import { rowContent } from '../kinds/data-tables/index.js';
import type { DataTableRow } from '../n8n-types.js';
import type { Difference } from './compare.js';
import type { SideIndex } from './side-index.js';
import type { InstanceSnapshot } from './snapshot.js';

/** Every table both sides have, compared; the rows each side has in them. */
export async function compareRows(
  a: InstanceSnapshot,
  b: InstanceSnapshot,
  left: SideIndex,
  right: SideIndex,
  differences: Difference[],
): Promise<{ a: number; b: number }> {
  const rows = { a: 0, b: 0 };
  for (const { key, leftId, rightId } of tablesOnBothSides(left, right)) {
    const table = new TableComparison();
    const l = a.dataTableRows(leftId)[Symbol.asyncIterator]();
    const r = b.dataTableRows(rightId)[Symbol.asyncIterator]();
    while (true) {
      const [x, y] = await Promise.all([l.next(), r.next()]);
      if (x.done && y.done) break;
      table.add(x.done ? undefined : x.value, y.done ? undefined : y.value);
    }
    rows.a += table.leftCount;
    rows.b += table.rightCount;
    const difference = table.difference(key);
    if (difference) differences.push(difference);
  }
  return rows;
}

/** The data tables both sides have, by key, with each side's id. */
export function tablesOnBothSides(
  left: SideIndex,
  right: SideIndex,
): { key: string; leftId: string; rightId: string }[] {
  const rightTables = right.ids.get('dataTables') ?? new Map<string, string>();
  return [...(left.ids.get('dataTables') ?? [])].flatMap(([key, leftId]) => {
    const rightId = rightTables.get(key);
    return rightId ? [{ key, leftId, rightId }] : [];
  });
}

/** One table's rows compared in order, pair by pair; its state can be saved between slices. */
export class TableComparison {
  position = 0;
  leftCount = 0;
  rightCount = 0;
  firstDifference: string | undefined;

  static restored(saved: Pick<TableComparison, 'position' | 'leftCount' | 'rightCount' | 'firstDifference'>) {
    return Object.assign(new TableComparison(), saved);
  }

  /** The next pair of rows; undefined where a side has run out. */
  add(x: DataTableRow | undefined, y: DataTableRow | undefined): void {
    if (x) this.leftCount += 1;
    if (y) this.rightCount += 1;
    this.position += 1;
    if (
      this.firstDifference === undefined &&
      (!x || !y || stableStringify(rowContent(x)) !== stableStringify(rowContent(y)))
    ) {
      this.firstDifference = `row ${this.position}: ${x ? stableStringify(rowContent(x)) : '(none)'} → ${y ? stableStringify(rowContent(y)) : '(none)'}`;
    }
  }

  difference(key: string): Difference | undefined {
    if (this.firstDifference === undefined) return undefined;
    return {
      resource: 'dataTableRows',
      key,
      change: 'changed',
      details: [`${this.leftCount} rows → ${this.rightCount} rows`, this.firstDifference],
    };
  }
}
