/**
 * Restores that converge: the built CLI restoring an archive is killed (SIGKILL: no handler, no
 * `finally`, no last ledger save) at seeded random moments and run again, possibly killed again,
 * until it exits 0. After every run the target holds nothing twice; after the last it equals the
 * archive, and a lock a killed run left behind was taken over by the next run, which said so.
 *
 * Every trial restores into a fresh target with a fresh ledger. Uninterrupted restores are timed
 * first, under the same load as the trials. The first run of each trial is killed at one of 20
 * moments, one drawn in each twentieth of the restore proper: from the target's first request (the
 * lock is taken just before it) to the end. They count from that request, not from the start: the
 * process first spends about a second loading its modules, a time that varies with the machine's
 * load more than the restore does, and a kill there tests nothing. Later runs are killed, some of
 * them, at 50 ms to a whole restore after their start, so lock takeovers are interrupted too.
 * A failure names the seed: CRASH_RESUME_SEED=<seed> replays the same moments (timing makes them
 * land near, not exactly, where they did).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../double/prng.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import type { DoubleState } from '../double/state.js';
import { assertBuiltCliIsCurrent, type ChildRun, runBuiltCli } from './support/built-cli.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';
import { freshTargetFor } from './support/targets.js';

const SEED = Number(process.env.CRASH_RESUME_SEED ?? 20261122);
/** Trials at least, each into its own target, its first run killed at one of TRIALS moments. */
const TRIALS = 20;
/** Kills at least, over all runs: a kill due after its run ended does not count. */
const KILLS = 20;
const MAX_TRIALS = 30;
/** Runs per trial at most; runs after LAST_KILLED_RUN are never killed, so a trial ends. */
const MAX_RUNS = 6;
const LAST_KILLED_RUN = 3;
/** Share of the second and third runs that are killed too. */
const RERUN_KILL_SHARE = 0.5;
/** Kills that must land after the restore's first write: the ones that test resuming. */
const MIN_KILLS_WHILE_WRITING = 12;
/** Trials run side by side (each with its own target), to fit the test in its time on two cores. */
const LANES = 2;
const MIN_KILL_MS = 50;
const TOOK_OVER = 'took over the lock of a restore that is gone';

let source: N8nDouble;
let folder: string;
let archive: string;

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  source = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 40, tables: 2, rowsTotal: 1000 });
  folder = await mkdtemp(join(tmpdir(), 'n8n-ark-crash-'));
  const backup = await runCapturedCli(backupArgs(source.url, join(folder, 'store'), '--json'), {
    SOURCE_KEY: source.apiKey,
  });
  expect(backup.code, backup.stderr).toBe(0);
  archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
});
afterAll(async () => {
  await source?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const freshTarget = () => freshTargetFor(source);

/** Objects the instance holds more than once, by each kind's natural key; rows by their values. */
function duplicatesIn(state: DoubleState): string[] {
  const found: string[] = [];
  const check = (kind: string, keys: Iterable<string>) => {
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) found.push(`${kind} ${key}`);
      seen.add(key);
    }
  };
  const folderPath = (id: string | null): string => {
    const f = id === null ? undefined : state.folders.get(id);
    return f ? `${folderPath(f.parentFolderId)}/${f.name}` : '';
  };
  const values = <T>(map: Map<string, T>) => [...map.values()];
  check(
    'project',
    values(state.projects)
      .filter((p) => p.type === 'team')
      .map((p) => p.name),
  );
  check(
    'workflow',
    values(state.workflows).map((w) => `${w.projectId}:${w.name}`),
  );
  check(
    'tag',
    values(state.tags).map((t) => t.name),
  );
  check(
    'data table',
    values(state.dataTables).map((t) => `${t.projectId}:${t.name}`),
  );
  check(
    'variable',
    values(state.variables).map((v) => v.key),
  );
  check(
    'folder',
    values(state.folders).map((f) => `${f.projectId}:${folderPath(f.id)}`),
  );
  // Credentials keep their ids, so a second copy would be one under a new id.
  check(
    'credential',
    values(state.credentials).map((c) => `${c.type}:${c.name}`),
  );
  for (const table of state.dataTables.values())
    check(
      `row of table ${table.name}:`,
      table.rows.map((r) => JSON.stringify(r.values)),
    );
  return found;
}

const rowsByTable = (state: DoubleState) =>
  Object.fromEntries(
    [...state.dataTables.values()].map((t) => [t.name, t.rows.map((r) => JSON.stringify(r.values)).sort()]),
  );

/** The write the target saw last, its ids blanked: roughly where a killed run was. */
function lastWrite(target: N8nDouble): string {
  const write = target.requests.findLast((r) => r.method !== 'GET');
  return write ? `${write.method} ${write.path.replace(/\/[0-9A-Za-z]{16}(?=\/|$)/g, '/:id')}` : 'none';
}

/**
 * For `runBuiltCli`'s `killWhen`: resolves `ms` after `target` receives the run's first request
 * (polled; the double is in this process), or rejects once the run has ended.
 */
function afterFirstRequest(target: N8nDouble, ms: number): (ended: AbortSignal) => Promise<void> {
  const before = target.requests.length;
  return (ended) =>
    new Promise((resolve, reject) => {
      let due: NodeJS.Timeout | undefined;
      const poll = setInterval(() => {
        if (target.requests.length === before) return;
        clearInterval(poll);
        due = setTimeout(resolve, ms);
      }, 2);
      ended.addEventListener(
        'abort',
        () => {
          clearInterval(poll);
          clearTimeout(due);
          reject(ended.reason);
        },
        { once: true },
      );
    });
}

interface Trial {
  trial: number;
  /** Each kill that landed: "+<ms>" after the run's first request (first runs), "<ms>" after its start. */
  kills: string[];
  /** Writes the target had received when each killed run was dead, and the last of them. */
  writesAtKill: number[];
  lastWriteAtKill: string[];
  runs: number;
  tookOver: number;
}

/** The restore command under test, into `target` with `ledger`. */
const restoreInto =
  (target: N8nDouble, ledger: string) =>
  (options: Parameters<typeof runBuiltCli>[2] = {}): Promise<ChildRun> =>
    runBuiltCli(
      restoreArgs(archive, target.url, '--ledger', ledger, '--row-batch-size', '50'),
      { TARGET_KEY: target.apiKey },
      options,
    );

/**
 * One trial: a fresh target and ledger; the first run killed `firstKillMs` after the target's first
 * request, later ones (some of them) at random up to `maxKillMs` after their start, until one exits 0.
 */
async function runTrial(trial: number, firstKillMs: number, maxKillMs: number): Promise<Trial> {
  const random = createRandom(SEED + trial + 1);
  const target = await freshTarget();
  const ledger = join(folder, `trial-${trial}`, 'l.json');
  const restore = restoreInto(target, ledger);
  const record: Trial = { trial, kills: [], writesAtKill: [], lastWriteAtKill: [], runs: 0, tookOver: 0 };
  const where = () =>
    `seed ${SEED}, trial ${trial}, killed at ${JSON.stringify(record.kills)} ms, after ` +
    `${JSON.stringify(record.writesAtKill)} writes, the last ${JSON.stringify(record.lastWriteAtKill)}`;
  try {
    let run: ChildRun | undefined;
    while (run?.code !== 0) {
      record.runs += 1;
      expect(record.runs, `${where()}: no run of ${MAX_RUNS} exited 0`).toBeLessThanOrEqual(MAX_RUNS);
      const rerunKillMs =
        record.runs > 1 && record.runs <= LAST_KILLED_RUN && random() < RERUN_KILL_SHARE
          ? Math.round(MIN_KILL_MS + random() * (maxKillMs - MIN_KILL_MS))
          : undefined;
      const lockLeft = existsSync(`${ledger}.lock`);
      run = await restore(
        record.runs === 1
          ? { killWhen: afterFirstRequest(target, firstKillMs) }
          : rerunKillMs === undefined
            ? {}
            : { killAfterMs: rerunKillMs },
      );
      if (run.killed) {
        record.kills.push(record.runs === 1 ? `+${firstKillMs}` : String(rerunKillMs));
        record.writesAtKill.push(target.writeCount());
        record.lastWriteAtKill.push(lastWrite(target));
      } else {
        expect(run.code, `${where()}: run ${record.runs}\n${run.stderr}`).toBe(0);
        // A lock left by a dead run is taken over, and the operator is told.
        if (lockLeft) expect(run.stderr, where()).toContain(TOOK_OVER);
      }
      if (run.stderr.includes(TOOK_OVER)) record.tookOver += 1;
      expect(duplicatesIn(target.state), `${where()}: after run ${record.runs}`).toEqual([]);
    }

    expect(existsSync(`${ledger}.lock`), where()).toBe(false);
    expect(rowsByTable(target.state), where()).toEqual(rowsByTable(source.state));
    expect(new Set(target.state.credentials.keys()), where()).toEqual(
      new Set(source.state.credentials.keys()),
    );
    const diff = await runCapturedCli(['diff', archive, '--url', target.url, '--api-key-env', 'TARGET_KEY'], {
      TARGET_KEY: target.apiKey,
    });
    expect(diff.code, `${where()}\n${diff.stdout}`).toBe(0);
    return record;
  } finally {
    await target.close();
  }
}

interface Timing {
  /** From the start to the end. */
  durationMs: number;
  /** From the start to the target's first request: the lock is held, the restore proper begins. */
  firstRequestMs: number;
  firstWriteMs: number;
}

/**
 * Uninterrupted restores side by side, as the trials run. The shorter one's restore proper is the
 * span the kill moments are drawn from, so few of them fall after a run has already ended.
 */
async function timeUninterrupted(): Promise<Timing> {
  const runs = await Promise.all(
    Array.from({ length: LANES }, async (_, lane): Promise<Timing> => {
      const target = await freshTarget();
      try {
        const started = performance.now();
        let firstRequestMs = Number.POSITIVE_INFINITY;
        let firstWriteMs = Number.POSITIVE_INFINITY;
        const watch = setInterval(() => {
          const now = performance.now() - started;
          if (target.requests.length > 0) firstRequestMs = Math.min(firstRequestMs, now);
          if (target.writeCount() > 0) firstWriteMs = Math.min(firstWriteMs, now);
        }, 2);
        const run = await restoreInto(target, join(folder, `uninterrupted-${lane}.json`))();
        clearInterval(watch);
        expect(run.code, run.stderr).toBe(0);
        expect(duplicatesIn(target.state)).toEqual([]);
        return { durationMs: run.durationMs, firstRequestMs, firstWriteMs };
      } finally {
        await target.close();
      }
    }),
  );
  const shorter = runs.reduce((a, b) =>
    b.durationMs - b.firstRequestMs < a.durationMs - a.firstRequestMs ? b : a,
  );
  expect(shorter.firstRequestMs).toBeLessThan(shorter.firstWriteMs);
  return shorter;
}

/**
 * `count` moments over [from, to]: one drawn in each of `count` equal slices, in shuffled order, so
 * they cover the whole span however the draws fall.
 */
function stratifiedMoments(random: () => number, count: number, from: number, to: number): number[] {
  const width = (to - from) / count;
  const moments = Array.from({ length: count }, (_, i) => Math.round(from + (i + random()) * width));
  for (let i = moments.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [moments[i], moments[j]] = [moments[j] as number, moments[i] as number];
  }
  return moments;
}

describe('a restore killed at random moments and run again', () => {
  it('ends equal to the archive every time, with no object or row twice after any run and each dead lock taken over', async () => {
    // Prepare: uninterrupted restores, to time them and to show the checks pass without kills
    const timing = await timeUninterrupted();
    const span = timing.durationMs - timing.firstRequestMs;
    const random = createRandom(SEED);
    const moments = stratifiedMoments(random, TRIALS, 0, span);
    const started = performance.now();

    // Act and assess: trials side by side, until TRIALS ran and KILLS kills landed
    const trials: Trial[] = [];
    const kills = () => trials.reduce((n, t) => n + t.kills.length, 0);
    let next = 0;
    let failure: unknown;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (failure === undefined && (next < TRIALS || kills() < KILLS)) {
          const trial = next;
          next += 1;
          // A moment that fell after its run ended did not count: more trials, drawn anywhere.
          const moment = moments[trial] ?? Math.round(random() * span);
          try {
            expect(
              trial,
              `seed ${SEED}: fewer than ${KILLS} kills landed in ${MAX_TRIALS} trials`,
            ).toBeLessThan(MAX_TRIALS);
            trials.push(await runTrial(trial, moment, timing.durationMs));
          } catch (error) {
            // The other lane ends its trial first: its process must not outlive the test's folder.
            failure ??= error;
          }
        }
      }),
    );
    if (failure !== undefined) throw failure;

    const writesAtKills = trials.flatMap((t) => t.writesAtKill);
    const tookOver = trials.reduce((n, t) => n + t.tookOver, 0);
    expect(kills()).toBeGreaterThanOrEqual(KILLS);
    expect(tookOver).toBeGreaterThan(0);
    // Kills before the first write only test the lock; enough must land while the restore writes.
    expect(writesAtKills.filter((writes) => writes > 0).length).toBeGreaterThanOrEqual(
      MIN_KILLS_WHILE_WRITING,
    );
    console.info(
      `crash-resume seed ${SEED}: ${trials.length} trials in ${Math.round(performance.now() - started)} ms, ` +
        `${kills()} kills at ${JSON.stringify(trials.map((t) => t.kills))} ms (uninterrupted: first request at ` +
        `${Math.round(timing.firstRequestMs)} ms, first write at ${Math.round(timing.firstWriteMs)} ms, ended at ` +
        `${Math.round(timing.durationMs)} ms), writes before each kill ${JSON.stringify(trials.map((t) => t.writesAtKill))}, ` +
        `at most ${Math.max(...trials.map((t) => t.runs))} runs per trial, ${tookOver} locks taken over`,
    );
  }, 150_000);
});
