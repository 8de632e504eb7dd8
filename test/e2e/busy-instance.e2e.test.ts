/**
 * Backups of a busy, Postgres-backed n8n 2.41.1 (issue 25, item 2). While the built CLI backs up:
 * three published workflows run every second, each run writing its `staticData` and appending a row
 * to a data table through n8n's Data table node; the test appends rows through the API, saves new
 * versions of twelve workflows (name, description and a node parameter carrying one revision number
 * in one PUT, so a record mixing two saved versions shows) and creates and deletes other workflows.
 * Two backups run under that load, the first full and the second incremental.
 *
 * Then a third backup goes through a proxy that makes the two changes a busy instance makes at random
 * land at a chosen point: a workflow saved between its listing and the read of its detail, and rows
 * deleted from the front of a table between two of its pages. Both were findings
 * (docs/REAL-N8N-FINDINGS.md, "Busy instances"), fixed since: the record is then the detail's whole,
 * and rows are read by id.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../support/fault-proxy.js';
import { archiveEntries, ndjsonRecords } from './harness/archive-entries.js';
import { cli, publicApi, publicApiList } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';

/** Published workflows on a 1-second schedule. */
const TICKERS = 3;
/** Workflows saved again and again through PUT /workflows/{id} during the backups. */
const RENAMED = 12;
const RENAME_LOOPS = 2;
/** Rows already in the appended table: several pages of 250, so appends land while it is read. */
const EVENT_ROWS = 1_500;
/** Rows of the table whose first rows are deleted between two page reads of a backup (pages of 250). */
const QUEUE_ROWS = 600;
const QUEUE_DELETED = 3;

interface Node {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: [number, number];
  parameters: Record<string, unknown>;
}
interface WorkflowRecord {
  id: string;
  name: string;
  description?: string | null;
  versionId: string;
  updatedAt: string;
  nodes: Node[];
  staticData?: { global?: { ticks?: number } } | null;
}
interface HistoryRecord {
  workflowId: string;
  versionId: string;
  nodes: Node[];
}
interface Row {
  id: number;
  seq: number;
  source: string;
}
interface Manifest {
  counts: Record<string, number>;
  warnings: { code: string; message: string }[];
  entries: { name: string; resource: string; dataTableId?: string; records: number }[];
}
/** What a PUT answered for one revision of a workflow. */
interface SavedVersion {
  rev: number;
  versionId: string;
  updatedAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const REV = /rev (\d+)$/;
const revOf = (text: string | null | undefined) => Number(REV.exec(text ?? '')?.[1] ?? Number.NaN);

let n8n: RealN8n;
let store: string;
let eventsTable: string;
let queueTable: string;
const tickers: string[] = [];
const renamed: string[] = [];
/** Per renamed workflow, every version a PUT (or the POST) answered, by revision. */
const saved = new Map<string, Map<number, SavedVersion>>();
const savedByVersionId = new Map<string, SavedVersion>();
/**
 * Per renamed workflow, the revisions whose PUT failed (a 503, 500 or 400 under load). n8n saves
 * some of them all the same (docs/REAL-N8N-FINDINGS.md, "n8n's own outages"): their versionId is
 * not known to the test, only that the revision was sent.
 */
const unanswered = new Map<string, Set<number>>();

/** The same with the revision in its description too, for PUT /workflows/{id}. */
function renamedBody(index: number, rev: number, nodeIds: [string, string]) {
  return { ...workflowBody(`Busy ${index}`, rev, nodeIds), description: `rev ${rev}` };
}

/**
 * A workflow whose name and one node parameter carry the revision `rev`, for POST /workflows, which
 * takes no description (400 "Unrecognized key(s) in object: 'description'").
 */
function workflowBody(name: string, rev: number, nodeIds: [string, string]) {
  return {
    name: `${name} rev ${rev}`,
    nodes: [
      {
        id: nodeIds[0],
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: nodeIds[1],
        name: 'Stamp',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [220, 0],
        parameters: {
          assignments: { assignments: [{ id: nodeIds[1], name: 'rev', value: rev, type: 'number' }] },
          options: {},
        },
      },
    ],
    connections: { Start: { main: [[{ node: 'Stamp', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}
const nodeRevOf = (nodes: Node[]) => {
  const stamp = nodes.find((n) => n.name === 'Stamp')?.parameters.assignments as
    | { assignments: { value: unknown }[] }
    | undefined;
  return Number(stamp?.assignments[0]?.value ?? Number.NaN);
};

function tickerBody(index: number) {
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  return {
    name: `Ticker ${index}`,
    nodes: [
      {
        id: ids[0],
        name: 'Every second',
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        position: [0, 0],
        parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: 1 }] } },
      },
      {
        id: ids[1],
        name: 'Tick',
        type: 'n8n-nodes-base.code',
        typeVersion: 2,
        position: [220, 0],
        parameters: {
          jsCode: `const s = $getWorkflowStaticData('global');\ns.ticks = (s.ticks ?? 0) + 1;\nreturn [{ json: { seq: s.ticks, source: 'ticker ${index}' } }];`,
        },
      },
      {
        id: ids[2],
        name: 'Append',
        type: 'n8n-nodes-base.dataTable',
        typeVersion: 1.1,
        position: [440, 0],
        parameters: {
          resource: 'row',
          operation: 'insert',
          dataTableId: { __rl: true, value: eventsTable, mode: 'id' },
          columns: { mappingMode: 'autoMapInputData', value: null, matchingColumns: [], schema: [] },
          options: {},
        },
      },
    ],
    connections: {
      'Every second': { main: [[{ node: 'Tick', type: 'main', index: 0 }]] },
      Tick: { main: [[{ node: 'Append', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

async function createTable(name: string, rows: number): Promise<string> {
  const table = await publicApi<{ id: string }>(n8n, 'POST', '/data-tables', {
    name,
    columns: [
      { name: 'seq', type: 'number' },
      { name: 'source', type: 'string' },
    ],
  });
  for (let start = 0; start < rows; start += 1_000) {
    const data = Array.from({ length: Math.min(1_000, rows - start) }, (_, i) => ({
      seq: start + i + 1,
      source: 'seed',
    }));
    await publicApi(n8n, 'POST', `/data-tables/${table.id}/rows`, { data, returnType: 'count' });
  }
  return table.id;
}

const allRows = (tableId: string) => publicApiList<Row>(n8n, `/data-tables/${tableId}/rows?limit=250`);

const ticksOf = async (id: string) =>
  (await publicApi<WorkflowRecord>(n8n, 'GET', `/workflows/${id}`)).staticData?.global?.ticks ?? 0;

/**
 * The load: loops that run until `stop`. Failed calls are counted, not thrown: the load generator
 * is not what is tested, and a busy n8n may refuse some of its calls.
 */
class BusyLoad {
  private running = true;
  private readonly loops: Promise<void>[] = [];
  readonly done = { versions: 0, rowsAppended: 0, created: 0, deleted: 0 };
  readonly failures: string[] = [];
  private seq = 1_000_000;

  constructor() {
    for (let loop = 0; loop < RENAME_LOOPS; loop += 1) this.loops.push(this.saveVersions(loop));
    this.loops.push(this.appendRows(), this.createAndDelete());
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async attempt(what: string, call: () => Promise<void>) {
    try {
      await call();
    } catch (error) {
      this.failures.push(`${what}: ${(error as Error).message.slice(0, 200)}`);
      await sleep(100);
    }
  }

  /** Each loop saves its own share of the renamed workflows, one at a time, round and round. */
  private async saveVersions(loop: number) {
    const mine = renamed.filter((_, i) => i % RENAME_LOOPS === loop);
    for (let turn = 0; this.running; turn += 1) {
      const id = mine[turn % mine.length] as string;
      await this.attempt('PUT workflow', async () => {
        await saveNextVersion(id);
        this.done.versions += 1;
      });
    }
  }

  private async appendRows() {
    while (this.running) {
      await this.attempt('append rows', async () => {
        const data = Array.from({ length: 5 }, () => ({ seq: ++this.seq, source: 'api' }));
        await publicApi(n8n, 'POST', `/data-tables/${eventsTable}/rows`, { data, returnType: 'count' });
        this.done.rowsAppended += data.length;
      });
      await sleep(50);
    }
  }

  private async createAndDelete() {
    for (let n = 1; this.running; n += 1) {
      await this.attempt('create and delete a workflow', async () => {
        const created = await publicApi<{ id: string }>(
          n8n,
          'POST',
          '/workflows',
          workflowBody(`Transient ${n}`, 0, [randomUUID(), randomUUID()]),
        );
        this.done.created += 1;
        await sleep(300);
        await publicApi(n8n, 'DELETE', `/workflows/${created.id}`);
        this.done.deleted += 1;
      });
    }
  }
}

const revs = new Map<string, number>();
const nodeIds = new Map<string, [string, string]>();

function remember(id: string, version: SavedVersion) {
  const versions = saved.get(id) ?? new Map<number, SavedVersion>();
  versions.set(version.rev, version);
  saved.set(id, versions);
  savedByVersionId.set(version.versionId, version);
}

/** PUTs the next revision of a renamed workflow and remembers what n8n answered for it. */
async function saveNextVersion(id: string): Promise<void> {
  const rev = (revs.get(id) ?? 0) + 1;
  revs.set(id, rev);
  const answer = await publicApi<WorkflowRecord>(
    n8n,
    'PUT',
    `/workflows/${id}`,
    renamedBody(renamed.indexOf(id) + 1, rev, nodeIds.get(id) as [string, string]),
  ).catch((error: unknown) => {
    unanswered.set(id, (unanswered.get(id) ?? new Set()).add(rev));
    throw error;
  });
  remember(id, { rev, versionId: answer.versionId, updatedAt: answer.updatedAt });
}

interface Backup {
  code: number | null;
  stderr: string;
  entries: Map<string, string>;
  manifest: Manifest;
  ms: number;
}

/** `n8n-ark backup` of the instance, through `url` (n8n's own, or a proxy in front of it). */
async function backUp(url: string): Promise<Backup> {
  const started = performance.now();
  const run = await cli(
    [
      'backup',
      '--url',
      url,
      '--api-key-env',
      'ARK_E2E_KEY',
      '--store',
      store,
      '--instance',
      'busy',
      '--json',
    ],
    { ARK_E2E_KEY: n8n.apiKey },
  );
  const ms = Math.round(performance.now() - started);
  if (run.code !== 0)
    return { code: run.code, stderr: run.stderr, entries: new Map(), manifest: {} as Manifest, ms };
  const entries = await archiveEntries((JSON.parse(run.stdout) as { archive: string }).archive);
  const manifest = JSON.parse(entries.get('manifest.json') ?? '{}') as Manifest;
  return { code: run.code, stderr: run.stderr, entries, manifest, ms };
}

interface BackupUnderLoad extends Backup {
  load: BusyLoad;
  ticksBefore: number[];
  ticksAfter: number[];
}

/** Starts the load, lets it run a moment, backs up, and stops the load once the backup has exited. */
async function backUpUnderLoad(): Promise<BackupUnderLoad> {
  const load = new BusyLoad();
  await sleep(1_500);
  const ticksBefore = await Promise.all(tickers.map(ticksOf));
  const backup = await backUp(n8n.url);
  const ticksAfter = await Promise.all(tickers.map(ticksOf));
  await load.stop();
  console.log(
    `backup under load (${n8n.databaseLabel}): exit ${backup.code} in ${backup.ms} ms; meanwhile ${JSON.stringify(load.done)}, ${load.failures.length} load calls failed${load.failures.length ? `: ${load.failures.slice(0, 3).join('; ')}` : ''}; ticks ${ticksBefore.join('/')} → ${ticksAfter.join('/')}${backup.code === 0 ? '' : `; the backup said: ${backup.stderr.slice(-1000)}`}`,
  );
  return { ...backup, load, ticksBefore, ticksAfter };
}

/** The rows an archive holds of one table, from its row entries. */
function archivedRows(backup: Backup, tableId: string): Row[] {
  return backup.manifest.entries
    .filter((e) => e.resource === 'dataTableRows' && e.dataTableId === tableId)
    .flatMap((e) => ndjsonRecords<Row>(backup.entries.get(e.name)));
}

const recordOf = (workflows: WorkflowRecord[], id: string) =>
  workflows.find((w) => w.id === id) as WorkflowRecord;

/** The revision each of a record's fields carries, and whether they agree. */
function revisionsOf(record: WorkflowRecord) {
  const [byName, byDescription, byNode] = [
    revOf(record.name),
    revOf(record.description),
    nodeRevOf(record.nodes),
  ];
  return {
    byName,
    byDescription,
    byNode,
    text: `name rev ${byName}, description rev ${byDescription}, nodes rev ${byNode}`,
  };
}

beforeAll(async () => {
  n8n = await startN8n('busy', { database: 'postgres' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-busy-'));
  eventsTable = await createTable('events', EVENT_ROWS);
  queueTable = await createTable('queue', QUEUE_ROWS);
  for (let i = 1; i <= RENAMED; i += 1) {
    const ids: [string, string] = [randomUUID(), randomUUID()];
    const created = await publicApi<WorkflowRecord>(
      n8n,
      'POST',
      '/workflows',
      workflowBody(`Busy ${i}`, 0, ids),
    );
    // The description comes with revision 0's PUT.
    const rev0 = await publicApi<WorkflowRecord>(
      n8n,
      'PUT',
      `/workflows/${created.id}`,
      renamedBody(i, 0, ids),
    );
    renamed.push(created.id);
    nodeIds.set(created.id, ids);
    revs.set(created.id, 0);
    remember(created.id, { rev: 0, versionId: rev0.versionId, updatedAt: rev0.updatedAt });
  }
  for (let i = 1; i <= TICKERS; i += 1) {
    const created = await publicApi<{ id: string }>(n8n, 'POST', '/workflows', tickerBody(i));
    await publicApi(n8n, 'POST', `/workflows/${created.id}/activate`);
    tickers.push(created.id);
  }
  // The schedules have run (and written staticData) before the first backup.
  const deadline = Date.now() + 60_000;
  while (Math.min(...(await Promise.all(tickers.map(ticksOf)))) < 2 && Date.now() < deadline)
    await sleep(500);
}, 300_000);

afterAll(async () => {
  await n8n?.stop();
  if (store) await rm(store, { recursive: true, force: true });
});

describe(`backups of a busy n8n (${TICKERS} workflows every second, versions saved, rows appended, workflows created and deleted)`, () => {
  for (const kind of ['full', 'incremental'] as const) {
    describe(`the ${kind} backup`, () => {
      let backup: BackupUnderLoad;
      let workflows: WorkflowRecord[];

      beforeAll(async () => {
        backup = await backUpUnderLoad();
        workflows = ndjsonRecords<WorkflowRecord>(backup.entries.get('workflows.ndjson'));
      }, 240_000);

      it('exits 0, the manifest counting what its entries hold', () => {
        expect(backup.code, backup.stderr).toBe(0);
        expect(backup.load.done.versions).toBeGreaterThan(RENAMED);
        expect(backup.load.done.rowsAppended).toBeGreaterThan(0);
        expect(backup.manifest.counts.workflows).toBe(workflows.length);
        if (kind === 'incremental') expect(backup.manifest).toHaveProperty('incremental');
      });

      it('holds every workflow that existed throughout, each once', () => {
        const ids = workflows.map((w) => w.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual(expect.arrayContaining([...renamed, ...tickers]));
        // Workflows created and deleted meanwhile may be in it or not; one that is, is whole.
        const transient = workflows.filter((w) => w.name.startsWith('Transient'));
        for (const w of transient) expect([revOf(w.name), nodeRevOf(w.nodes)]).toEqual([0, 0]);
        const changed = backup.manifest.warnings.filter((w) => w.code === 'changed-during-backup');
        console.log(
          `${kind}: ${transient.length} transient workflows archived; changed-during-backup: ${changed.map((c) => c.message).join(' | ') || 'none'}`,
        );
      });

      it("records each saved workflow's listed fields from one PUT: name, nodes, versionId and updatedAt", () => {
        const mixed: string[] = [];
        for (const id of renamed) {
          const record = recordOf(workflows, id);
          const { byName, byNode } = revisionsOf(record);
          const version = saved.get(id)?.get(byNode);
          // Saved by a PUT that failed: one revision throughout is all that can be checked.
          if (byName === byNode && version === undefined && unanswered.get(id)?.has(byNode)) continue;
          if (byName !== byNode || version === undefined) mixed.push(`${id}: ${revisionsOf(record).text}`);
          else if (version.versionId !== record.versionId || version.updatedAt !== record.updatedAt)
            mixed.push(
              `${id}: rev ${byNode} was saved as ${version.versionId} at ${version.updatedAt}, archived as ${record.versionId} at ${record.updatedAt}`,
            );
        }
        expect(mixed).toEqual([]);
        // The description comes from a later read (GET /workflows/{id}): a version saved in between
        // shows here. Counted, not asserted: the proxy test below makes it happen every time.
        const later = renamed
          .map((id) => revisionsOf(recordOf(workflows, id)))
          .filter((r) => r.byDescription !== r.byNode);
        console.log(
          `${kind}: ${later.length} of ${RENAMED} records carry a later version's description: ${later.map((r) => r.text).join('; ') || 'none'}`,
        );
      });

      it("keeps each saved version's graph in the history under the versionId n8n gave it", () => {
        const history = ndjsonRecords<HistoryRecord>(backup.entries.get('workflow-history.ndjson'));
        const wrong: string[] = [];
        for (const id of renamed) {
          const record = recordOf(workflows, id);
          const versions = history.filter((h) => h.workflowId === id);
          if (!versions.some((h) => h.versionId === record.versionId))
            wrong.push(`${id}: its current version ${record.versionId} is not in the history`);
          for (const h of versions) {
            const version = savedByVersionId.get(h.versionId);
            // A revision whose PUT failed but which n8n saved: its own graph, under a versionId of its own.
            const savedUnanswered =
              version === undefined && unanswered.get(id)?.has(nodeRevOf(h.nodes)) === true;
            if (savedUnanswered) {
              console.log(
                `${kind}: ${id} history ${h.versionId} holds rev ${nodeRevOf(h.nodes)}, whose PUT failed`,
              );
              continue;
            }
            if (version?.rev !== nodeRevOf(h.nodes))
              wrong.push(
                `${id}: history ${h.versionId} holds rev ${nodeRevOf(h.nodes)}, saved as rev ${version?.rev}`,
              );
          }
        }
        expect(wrong).toEqual([]);
      });

      it('records the staticData the schedules wrote, as it stood at some moment of the backup', () => {
        for (const [i, id] of tickers.entries()) {
          const ticks = recordOf(workflows, id).staticData?.global?.ticks ?? -1;
          expect(ticks).toBeGreaterThanOrEqual(backup.ticksBefore[i] as number);
          expect(ticks).toBeLessThanOrEqual(backup.ticksAfter[i] as number);
        }
      });

      it('holds the appended table as it stood at one moment: the rows up to one in id order, each once, unchanged', async () => {
        const archived = archivedRows(backup, eventsTable);
        const now = await allRows(eventsTable);
        const ids = archived.map((r) => r.id);
        const newest = Math.max(...ids);
        expect(new Set(ids).size).toBe(ids.length);
        expect(archived.length).toBeGreaterThanOrEqual(EVENT_ROWS);
        // Rows are never deleted from this table: what existed up to the newest archived row is still there.
        expect(ids.sort((a, b) => a - b)).toEqual(now.filter((r) => r.id <= newest).map((r) => r.id));
        const byId = new Map(now.map((r) => [r.id, r]));
        expect(archived.filter((r) => JSON.stringify(r) !== JSON.stringify(byId.get(r.id)))).toEqual([]);
        expect(archived.some((r) => r.source.startsWith('ticker'))).toBe(true);
      });
    });
  }
});

describe('a backup with a workflow saved and rows deleted between two of its reads (through a proxy)', () => {
  let backup: Backup;
  let hot: string;
  let savedBetween: SavedVersion | undefined;
  let deletedBetween = false;

  beforeAll(async () => {
    hot = renamed[0] as string;
    // Changed since the last archive, so the incremental backup reads its detail again.
    await saveNextVersion(hot);
    const proxy = await startFaultProxy({
      upstream: n8n.url,
      seed: 1,
      beforeForward: async (method, path) => {
        const { pathname, searchParams } = new URL(path, n8n.url);
        if (method === 'GET' && pathname === `/api/v1/workflows/${hot}` && !savedBetween) {
          await saveNextVersion(hot);
          savedBetween = saved.get(hot)?.get(revs.get(hot) as number);
        }
        // The second page of the queue's rows (asked for by cursor, or since by the rows after an id).
        if (
          method === 'GET' &&
          pathname === `/api/v1/data-tables/${queueTable}/rows` &&
          (searchParams.has('cursor') || searchParams.has('filter')) &&
          !deletedBetween
        ) {
          deletedBetween = true;
          const filter = JSON.stringify({
            type: 'and',
            filters: [{ columnName: 'id', condition: 'lte', value: QUEUE_DELETED }],
          });
          await publicApi(
            n8n,
            'DELETE',
            `/data-tables/${queueTable}/rows/delete?filter=${encodeURIComponent(filter)}`,
          );
        }
      },
    });
    try {
      backup = await backUp(proxy.url);
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('exits 0, the save landing between the listing and the detail read, the delete between two pages of rows', () => {
    expect(backup.code, backup.stderr).toBe(0);
    expect(savedBetween).toBeDefined();
    expect(deletedBetween).toBe(true);
    const ids = archivedRows(backup, queueTable).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  /**
   * Was a finding (issue 25): a workflow's record was its listing (GET /workflows: name, nodes,
   * versionId, updatedAt) plus `description` (and pinData, shares) from GET /workflows/{id}, read
   * later, so a version saved in between gave a record of two versions (3, 4, 7 and 12 of the 12
   * records in four backups under the load above). Now a detail whose `versionId` or `updatedAt`
   * differs from the listed one gives the whole record (functions/core/backup/workflows.ts).
   */
  it('records the workflow saved between its listing and its detail read as one saved version', () => {
    const record = recordOf(ndjsonRecords<WorkflowRecord>(backup.entries.get('workflows.ndjson')), hot);
    const { byName, byDescription, byNode, text } = revisionsOf(record);
    console.log(`the workflow saved between its reads (rev ${savedBetween?.rev}) is archived with ${text}`);
    expect([byName, byDescription]).toEqual([byNode, byNode]);
    expect(record.versionId).toBe(saved.get(hot)?.get(byNode)?.versionId);
  });

  /**
   * Was a finding (issue 25): rows were read by offset (cursor pages of 250, n8n orders them by id),
   * so rows deleted before the read position shifted the later ones back and the next page started
   * past rows never sent (18 rows present throughout were missing under a loop deleting 3 rows every
   * ~50 ms). Now each page asks for the rows after the last id read (n8n's `filter` id gt;
   * functions/adapters/n8n/id-pages.ts).
   */
  it('holds every row that was in the table for the whole backup', () => {
    const ids = new Set(archivedRows(backup, queueTable).map((r) => r.id));
    const missing: number[] = [];
    for (let id = QUEUE_DELETED + 1; id <= QUEUE_ROWS; id += 1) if (!ids.has(id)) missing.push(id);
    console.log(
      `queue: rows 1–${QUEUE_DELETED} deleted between two pages; of the ${QUEUE_ROWS - QUEUE_DELETED} present throughout, the archive lacks ${missing.join(', ') || 'none'}`,
    );
    expect(missing).toEqual([]);
  });
});
