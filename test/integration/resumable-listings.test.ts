/**
 * Listings a sliced backup takes up in another process, over real HTTP against the API double:
 * data-table rows from a saved position (the next page's cursor, the page's ids), and workflows
 * without gaps from a saved offset and the ids handed out last, though workflows before that
 * place were deleted between the two readings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createN8nClient } from '../../functions/adapters/n8n/index.js';
import type { DataTableRow, Workflow } from '../../functions/core/n8n-types.js';
import type { ListingPosition, PositionedListing } from '../../functions/core/ports.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';

let double: N8nDouble | undefined;
afterEach(async () => {
  await double?.close();
});

describe('listings taken up in another process', () => {
  it('reads a table’s rows on from a saved position: every row once, in order', async () => {
    double = await startN8nDouble({ licensed: 'all' });
    seedInstance(double.state, { workflows: 1, rowsTotal: 2_000, tables: 1 });
    const [table] = double.state.dataTables.values();
    const client = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });
    const ids = (rows: readonly DataTableRow[]) => rows.map((row) => row.id);

    const first: unknown[] = [];
    let saved: ListingPosition | undefined;
    const listing = client.listDataTableRows(table?.id ?? '') as PositionedListing<DataTableRow>;
    for await (const { items, position } of listing.positioned()) {
      first.push(...ids(items));
      saved = JSON.parse(JSON.stringify(position));
      if (first.length >= 750) break;
    }
    const rest: unknown[] = [];
    for await (const row of client.listDataTableRows(table?.id ?? '', saved)) rest.push(row.id);
    const whole: unknown[] = [];
    for await (const row of client.listDataTableRows(table?.id ?? '')) whole.push(row.id);

    expect(first).toHaveLength(750);
    expect([...first, ...rest]).toEqual(whole);
    expect(whole).toHaveLength(2_000);
  });

  it('reads workflows on without gaps from a saved offset, though some before it were deleted meanwhile', async () => {
    double = await startN8nDouble({ licensed: 'all' });
    seedInstance(double.state, { workflows: 900 });
    const client = createN8nClient({ baseUrl: double.url, apiKey: double.apiKey, retries: 0 });
    const listed: string[] = [];
    for await (const workflow of client.listWorkflowsWithoutGaps({ excludePinnedData: true })) {
      listed.push(workflow.id);
      if (listed.length === 600) break;
    }
    // Between the two slices: ten workflows already read are deleted, shifting the rest forward.
    for (const id of listed.slice(100, 110)) double.state.deleteWorkflow(id);

    const from = { offset: listed.length - 1, after: listed.slice(-250) };
    const rest: Workflow[] = [];
    for await (const workflow of client.listWorkflowsWithoutGaps({ excludePinnedData: true, from }))
      rest.push(workflow);

    const all: string[] = [];
    for await (const workflow of client.listWorkflowsWithoutGaps({ excludePinnedData: true }))
      all.push(workflow.id);
    expect(rest.map((w) => w.id)).toEqual(all.slice(all.indexOf(listed.at(-1) ?? '') + 1));
    expect(new Set([...listed, ...rest.map((w) => w.id)]).size).toBe(900);
  });
});
