/**
 * The fault suite's scenarios: a backup, a restore or a migration run with the real HTTP client and
 * the real core against API doubles, each behind a seeded fault proxy, and what came of it — did it
 * converge, in how many invocations, did anything go missing or arrive twice, which faults happened.
 * The integration test asserts on these results; `scripts/fault-report.ts` prints them as a table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLedgerStore } from '../../../functions/adapters/file-ledger-store.js';
import { FolderArchiveStore } from '../../../functions/adapters/folder-store.js';
import { createN8nClient, type N8nClient } from '../../../functions/adapters/n8n/index.js';
import { openZipArchive } from '../../../functions/adapters/zip-archive-reader.js';
import { createZipArchiveWriter } from '../../../functions/adapters/zip-archive-writer.js';
import { type ClosableArchive, openArchiveAt } from '../../../functions/core/archive/access.js';
import { runBackup } from '../../../functions/core/backup/run.js';
import {
  archiveSnapshot,
  diffInstances,
  formatDifferences,
  type InstanceSnapshot,
  liveSnapshot,
} from '../../../functions/core/diff/index.js';
import { type Clock, silentLogger, silentProgress } from '../../../functions/core/ports.js';
import { runMigrate } from '../../../functions/core/restore/migrate.js';
import { runRestore } from '../../../functions/core/restore/run.js';
import type { RestoreRun } from '../../../functions/core/restore/types.js';
import { type SeedCounts, seedInstance } from '../../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../../double/server.js';
import type { DoubleState } from '../../double/state.js';
import {
  type ClassRate,
  FAULT_KINDS,
  type FaultEvent,
  type FaultKind,
  type FaultProxy,
  type FaultRates,
  startFaultProxy,
} from '../../support/fault-proxy.js';

export type FaultOperation = 'backup' | 'restore' | 'migrate';
export const FAULT_OPERATIONS: readonly FaultOperation[] = ['backup', 'restore', 'migrate'];

/** The instance every scenario starts from: small enough for the matrix to fit in the test budget. */
export const SOURCE_SIZE = { workflows: 30, rowsTotal: 300, tables: 2, seed: 11 } as const;

/** The client as the suite configures it: short timeouts and waits, so faults cost milliseconds. */
export const CLIENT_OPTIONS = {
  timeoutMs: 400,
  retries: 6,
  backoffMs: 5,
  maxRetryAfterMs: 50,
} as const;

/** Longer than the client's timeout: a `slow` answer arrives after the client gave up on it. */
export const SLOW_MS = 600;

/**
 * The faults a faulted request gets, per class, drawn evenly (a kind listed twice weighs double).
 * Writes lean towards lost answers (`reset-after`, `502-after`, and `400-after`: n8n's 400 after a save), the faults that make a restore
 * reconcile; `slow` is listed once because each costs a whole client timeout.
 */
const FAULTS_BY_CLASS: Record<'read' | 'write', readonly FaultKind[]> = {
  read: [
    '429',
    '500',
    '502',
    '503',
    '502-after',
    '400-after',
    'reset-before',
    'reset-after',
    '429',
    '500',
    '502',
    'slow',
  ],
  write: [
    '429',
    '500',
    '502',
    '503',
    '502-after',
    '502-after',
    '400-after',
    '400-after',
    'reset-before',
    'reset-after',
    'reset-after',
    'reset-after',
    'slow',
  ],
};

/** Every class of request faulted at `rate`, with the suite's mix of faults or `only` these. */
export function faultRates(rate: number, only?: readonly FaultKind[]): FaultRates {
  const read: ClassRate = { rate, faults: only ?? FAULTS_BY_CLASS.read };
  const write: ClassRate = { rate, faults: only ?? FAULTS_BY_CLASS.write };
  return { read, create: write, rowInsert: write, update: write };
}

/** A source double seeded with every resource kind, and a fault-free archive of it for restores. */
export interface FaultWorld {
  source: N8nDouble;
  seeded: SeedCounts;
  /** A fault-free backup of the source (the restores' input). */
  archiveLocation: string;
  store: FolderArchiveStore;
  dir: string;
  close(): Promise<void>;
}

const clock: Clock = { now: () => new Date() };

export async function createFaultWorld(): Promise<FaultWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'n8n-ark-faults-'));
  const source = await startN8nDouble({ licensed: 'all', idSeed: 5 });
  const seeded = seedInstance(source.state, { ...SOURCE_SIZE });
  const store = new FolderArchiveStore(join(dir, 'archives'));
  const backup = await runBackup(
    {
      api: client(source.url, source.apiKey),
      store,
      createWriter: createZipArchiveWriter,
      clock,
      logger: silentLogger,
      progress: silentProgress,
      toolVersion: 'fault-suite',
    },
    { instance: 'source' },
  );
  return {
    source,
    seeded,
    archiveLocation: backup.archive.location,
    store,
    dir,
    close: async () => {
      await source.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ScenarioSpec {
  operation: FaultOperation;
  seed: number;
  /** Fault rate of every request class, 0..1. */
  rate: number;
  /** Restore and migrate: invocations allowed before the scenario counts as not converged. */
  maxInvocations: number;
  /** The only faults drawn, for every class (default: the suite's mix per class). */
  only?: readonly FaultKind[];
}

export interface ScenarioResult extends ScenarioSpec {
  /** Restore/migrate: the last invocation's report said complete; backup: the manifest's counts are the source's. */
  converged: boolean;
  /** Invocations made (1 for a backup). */
  invocations: number;
  /** Objects (and rows) the source has that the target lacks, counted by natural key. */
  lost: number;
  /** Objects (and rows) the target has more often than the source, by natural key. */
  duplicates: number;
  /** The diff's differences (ignoring users), for a message. */
  differences: string[];
  /** Errors thrown by invocations, and the warnings of incomplete ones, in order. */
  errors: string[];
  /** The last invocation's warnings (restore, migrate). */
  warnings: string[];
  /** Every fault injected, both proxies together, in arrival order per proxy. */
  faultEvents: FaultEvent[];
  /** Faults injected by kind, both proxies together. */
  faults: Record<FaultKind, number>;
  /** Lost answers to creates and row inserts (`reset-after`, `502-after`, `400-after`, `slow` on a create). */
  lostCreateAnswers: number;
  /** What differed from the source's counts (backup), e.g. `workflows 29 ≠ 30`. */
  countMismatches: string[];
  durationMs: number;
}

/** Runs one scenario on fresh doubles and proxies; never throws for a failing run, it reports it. */
export async function runFaultScenario(world: FaultWorld, spec: ScenarioSpec): Promise<ScenarioResult> {
  const started = performance.now();
  const proxies: FaultProxy[] = [];
  const closers: (() => Promise<void>)[] = [];
  const dir = await mkdtemp(join(world.dir, `${spec.operation}-${spec.seed}-`));
  const proxied = async (upstream: N8nDouble, seed: number) => {
    const proxy = await startFaultProxy({
      upstream: upstream.url,
      seed,
      rates: faultRates(spec.rate, spec.only),
      slowMs: SLOW_MS,
      // Retry-After 0: a wait the client obeys costs nothing (one over its longest wait would fail the call).
      retryAfterSeconds: 0,
    });
    proxies.push(proxy);
    return client(proxy.url, upstream.apiKey);
  };
  const result: ScenarioResult = {
    ...spec,
    converged: false,
    invocations: 0,
    lost: 0,
    duplicates: 0,
    differences: [],
    errors: [],
    warnings: [],
    faultEvents: [],
    faults: emptyFaultCounts(),
    lostCreateAnswers: 0,
    countMismatches: [],
    durationMs: 0,
  };
  try {
    if (spec.operation === 'backup') {
      const sourceApi = await proxied(world.source, spec.seed);
      result.invocations = 1;
      try {
        const backup = await runBackup(
          {
            api: sourceApi,
            store: new FolderArchiveStore(join(dir, 'archives')),
            createWriter: createZipArchiveWriter,
            clock,
            logger: silentLogger,
            progress: silentProgress,
            toolVersion: 'fault-suite',
          },
          { instance: 'source' },
        );
        result.countMismatches = countMismatches(world.seeded, backup.manifest.counts);
        result.converged = result.countMismatches.length === 0;
      } catch (error) {
        result.errors.push(describe(error));
      }
    } else {
      const target = await emptyTargetFor(world.source);
      closers.push(() => target.close());
      const targetApi = await proxied(target, spec.seed);
      const ledgerStore = new FileLedgerStore(join(dir, 'restore.ledger.json'));
      const deps = { ledgerStore, clock, logger: silentLogger, progress: silentProgress };
      let archiveLocation = world.archiveLocation;
      let archiveStore = world.store;
      let last: RestoreRun | undefined;
      for (let invocation = 1; invocation <= spec.maxInvocations; invocation += 1) {
        result.invocations = invocation;
        try {
          if (spec.operation === 'migrate' && invocation === 1) {
            // The source's proxy draws from another seed than the target's.
            const sourceApi = await proxied(world.source, spec.seed + 100_000);
            const store = new FolderArchiveStore(join(dir, 'archives'));
            const migrated = await runMigrate(
              {
                source: sourceApi,
                target: targetApi,
                store,
                createWriter: createZipArchiveWriter,
                openReader: openZipArchive,
                ledgerStoreFor: () => ledgerStore,
                clock,
                logger: silentLogger,
                progress: silentProgress,
                toolVersion: 'fault-suite',
              },
              { instance: 'source' },
            );
            // A migration that stops is continued by a restore of the archive it kept, with its ledger.
            archiveLocation = migrated.backup.archive.location;
            archiveStore = store;
            last = migrated.restore;
          } else {
            const archive = await openArchiveAt(archiveStore, archiveLocation, openZipArchive);
            try {
              last = await runRestore({ archive, api: targetApi, ...deps });
            } finally {
              await archive.close();
            }
          }
          if (last.report.complete) break;
          result.errors.push(`incomplete: ${last.report.warnings.map((w) => w.message).join('; ')}`);
        } catch (error) {
          last = undefined;
          result.errors.push(describe(error));
        }
      }
      result.converged = last?.report.complete === true;
      result.warnings = last?.report.warnings.map((w) => `${w.code}: ${w.message}`) ?? [];
      const census = compareCensus(world.source.state, target.state);
      result.lost = census.lost;
      result.duplicates = census.duplicates;
      const direct = client(target.url, target.apiKey);
      const expected =
        spec.operation === 'restore'
          ? await archiveSide(world.store, world.archiveLocation, closers)
          : liveSnapshot(client(world.source.url, world.source.apiKey));
      const diff = await diffInstances(expected, liveSnapshot(direct), { ignoreUsers: true });
      result.differences = formatDifferences(diff);
    }
  } finally {
    for (const proxy of proxies) {
      const stats = proxy.stats();
      result.faultEvents.push(...stats.faults);
      for (const kind of FAULT_KINDS) result.faults[kind] += sumOf(stats.faults, kind);
      result.lostCreateAnswers += stats.faults.filter(isLostCreateAnswer).length;
    }
    await Promise.all(proxies.map((proxy) => proxy.close()));
    for (const close of closers.reverse()) await close();
    result.durationMs = Math.round(performance.now() - started);
  }
  return result;
}

/** Runs scenarios `concurrency` at a time (each on its own doubles and proxies), results in input order. */
export async function runFaultMatrix(
  world: FaultWorld,
  specs: readonly ScenarioSpec[],
  options: { concurrency?: number; onResult?: (result: ScenarioResult) => void } = {},
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(specs.length);
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const index = next;
      next += 1;
      const result = await runFaultScenario(world, specs[index]!);
      results[index] = result;
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 3 }, worker));
  return results;
}

/** Seeds × rates for each operation; at 20 % a restore may take a second invocation. */
export function faultMatrix(
  seedsPerOperation: Partial<Record<FaultOperation, number>>,
  rates: readonly number[],
  firstSeed = 1,
): ScenarioSpec[] {
  const specs: ScenarioSpec[] = [];
  for (const operation of FAULT_OPERATIONS) {
    const seeds = seedsPerOperation[operation] ?? 0;
    for (const rate of rates) {
      for (let seed = firstSeed; seed < firstSeed + seeds; seed += 1) {
        specs.push({ operation, seed, rate, maxInvocations: invocationsAllowed(operation, rate) });
      }
    }
  }
  return specs;
}

export function invocationsAllowed(operation: FaultOperation, rate: number): number {
  if (operation === 'backup') return 1;
  return rate > 0.1 ? 2 : 1;
}

export interface MatrixRow {
  operation: FaultOperation;
  rate: number;
  runs: number;
  converged: number;
  faults: Record<FaultKind, number>;
  lostCreateAnswers: number;
  lost: number;
  duplicates: number;
  maxInvocations: number;
  maxDurationMs: number;
}

/** One row per operation and rate, totals over its seeds. */
export function summarise(results: readonly ScenarioResult[]): MatrixRow[] {
  const rows = new Map<string, MatrixRow>();
  for (const result of results) {
    const key = `${result.operation} ${result.rate}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        operation: result.operation,
        rate: result.rate,
        runs: 0,
        converged: 0,
        faults: emptyFaultCounts(),
        lostCreateAnswers: 0,
        lost: 0,
        duplicates: 0,
        maxInvocations: 0,
        maxDurationMs: 0,
      };
      rows.set(key, row);
    }
    row.runs += 1;
    row.converged += result.converged ? 1 : 0;
    for (const kind of FAULT_KINDS) row.faults[kind] += result.faults[kind];
    row.lostCreateAnswers += result.lostCreateAnswers;
    row.lost += result.lost;
    row.duplicates += result.duplicates;
    row.maxInvocations = Math.max(row.maxInvocations, result.invocations);
    row.maxDurationMs = Math.max(row.maxDurationMs, result.durationMs);
  }
  return [...rows.values()];
}

/** The summary as a markdown table. */
export function formatMatrix(rows: readonly MatrixRow[]): string {
  const header = [
    'operation',
    'rate',
    'runs',
    'converged',
    ...FAULT_KINDS,
    'lost create answers',
    'objects lost',
    'duplicates',
    'invocations (max)',
  ];
  const lines = rows.map((row) => [
    row.operation,
    `${Math.round(row.rate * 100)} %`,
    String(row.runs),
    String(row.converged),
    ...FAULT_KINDS.map((kind) => String(row.faults[kind])),
    String(row.lostCreateAnswers),
    String(row.lost),
    String(row.duplicates),
    String(row.maxInvocations),
  ]);
  const cells = (values: string[]) => `| ${values.join(' | ')} |`;
  return [cells(header), cells(header.map(() => '---')), ...lines.map(cells)].join('\n');
}

// ---- helpers

function client(baseUrl: string, apiKey: string): N8nClient {
  return createN8nClient({ baseUrl, apiKey, ...CLIENT_OPTIONS });
}

/** An empty licensed target holding the source's user accounts (n8n-ark does not invite users). */
async function emptyTargetFor(source: N8nDouble): Promise<N8nDouble> {
  const target = await startN8nDouble({ licensed: 'all', idSeed: 9 });
  for (const user of source.state.users.values())
    if (user.role !== 'global:owner') target.state.createUser({ ...user });
  return target;
}

async function archiveSide(
  store: FolderArchiveStore,
  location: string,
  closers: (() => Promise<void>)[],
): Promise<InstanceSnapshot> {
  const archive: ClosableArchive = await openArchiveAt(store, location, openZipArchive);
  closers.push(() => archive.close());
  return archiveSnapshot(archive, location);
}

function emptyFaultCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

function sumOf(events: readonly FaultEvent[], kind: FaultKind): number {
  return events.filter((event) => event.fault === kind).length;
}

/** The upstream did the create, the client never heard: what the restore must reconcile. */
function isLostCreateAnswer(event: FaultEvent): boolean {
  const create = event.requestClass === 'create' || event.requestClass === 'rowInsert';
  return (
    create &&
    (event.fault === 'reset-after' ||
      event.fault === '502-after' ||
      event.fault === '400-after' ||
      event.fault === 'slow')
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function countMismatches(seeded: SeedCounts, counts: Record<string, number>): string[] {
  return (Object.keys(seeded) as (keyof SeedCounts)[])
    .filter((resource) => counts[resource] !== seeded[resource])
    .map((resource) => `${resource} ${counts[resource]} ≠ ${seeded[resource]}`);
}

/**
 * Objects of each kind by natural key — workflows by project and name, tags by name, data tables by
 * project and name, variables by project and key, folders by path, credentials by id, projects by
 * name (personal ones by their owner's e-mail) — and rows per table, counted in a double's state.
 */
export function census(state: DoubleState): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string, n = 1) => counts.set(key, (counts.get(key) ?? 0) + n);
  const projectLabel = (projectId: string | null): string => {
    if (projectId === null) return 'global';
    const project = state.projects.get(projectId);
    if (!project) return `missing project ${projectId}`;
    if (project.type === 'team') return `team:${project.name}`;
    const owner = project.members.map((m) => state.users.get(m.userId)?.email).find(Boolean);
    return `personal:${owner ?? project.name}`;
  };
  const folderPath = (folderId: string | null): string => {
    const names: string[] = [];
    for (let id = folderId; id !== null; ) {
      const folder = state.folders.get(id);
      if (!folder) break;
      names.unshift(folder.name);
      id = folder.parentFolderId;
    }
    return names.join('/');
  };
  for (const project of state.projects.values()) add(`project ${projectLabel(project.id)}`);
  for (const folder of state.folders.values())
    add(`folder ${projectLabel(folder.projectId)} / ${folderPath(folder.id)}`);
  for (const tag of state.tags.values()) add(`tag ${tag.name}`);
  for (const variable of state.variables.values())
    add(`variable ${projectLabel(variable.projectId)} / ${variable.key}`);
  for (const credential of state.credentials.values()) add(`credential ${credential.id}`);
  for (const table of state.dataTables.values()) {
    const key = `${projectLabel(table.projectId)} / ${table.name}`;
    add(`data table ${key}`);
    add(`rows of ${key}`, table.rows.length);
  }
  for (const workflow of state.workflows.values())
    add(`workflow ${projectLabel(workflow.projectId)} / ${workflow.name}`);
  return counts;
}

/** What the target lacks and what it has too often, compared with the source, by natural key. */
export function compareCensus(
  source: DoubleState,
  target: DoubleState,
): { lost: number; duplicates: number; details: string[] } {
  const a = census(source);
  const b = census(target);
  let lost = 0;
  let duplicates = 0;
  const details: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const want = a.get(key) ?? 0;
    const have = b.get(key) ?? 0;
    if (have < want) lost += want - have;
    if (have > want) duplicates += have - want;
    if (have !== want) details.push(`${key}: ${have} (source ${want})`);
  }
  return { lost, duplicates, details };
}
