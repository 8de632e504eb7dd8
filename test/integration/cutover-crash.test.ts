/**
 * A cutover killed (SIGKILL: no handler, no `finally`, no last journal save) at seeded random
 * moments, then run again or rolled back, ends consistent. The built CLI runs in a child process per
 * run against two API doubles in this process. One uninterrupted cutover is counted first; each trial
 * kills its first run once the two instances have received a number of requests drawn in its own
 * tenth of that cutover's (progress, not time: the machine's load moves times, not requests). After every kill
 * no workflow is published on both instances at once (the source is frozen before the target
 * publishes). Then the trial continues with the same command (or, every third, `--rollback`): a
 * continued cutover ends with the target running what the source ran, once each, the staticData
 * carried, and the source frozen; a rollback with the source running exactly its versions again and
 * the target nothing. CUTOVER_CRASH_SEED=<seed> replays the same moments.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../double/prng.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { assertBuiltCliIsCurrent, runBuiltCli } from './support/built-cli.js';
import { publishedMarkers, publishedVersions, seedLiveSource } from './support/cutover-source.js';

const SEED = Number(process.env.CUTOVER_CRASH_SEED ?? 20261207);
const TRIALS = 10;
/** Every third trial goes back (--rollback) after the kill rather than on: kills early, midway and late. */
const ROLLBACK_EVERY = 3;

let folder: string;

beforeAll(async () => {
  await assertBuiltCliIsCurrent();
  folder = await mkdtemp(join(tmpdir(), 'n8n-ark-cutover-crash-'));
});
afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

interface Pair {
  source: N8nDouble;
  target: N8nDouble;
  store: string;
  before: Map<string, string>;
}

async function freshPair(name: string): Promise<Pair> {
  const [source, target] = await Promise.all([
    startN8nDouble({ licensed: 'all' }),
    startN8nDouble({ licensed: 'all' }),
  ]);
  await seedLiveSource(source);
  return { source, target, store: join(folder, name), before: publishedVersions(source) };
}

const cutover = (pair: Pair, flags: string[], kill?: (ended: AbortSignal) => Promise<void>) =>
  runBuiltCli(
    [
      'cutover',
      '--from-url',
      pair.source.url,
      '--from-key-env',
      'OLD_KEY',
      '--to-url',
      pair.target.url,
      '--to-key-env',
      'NEW_KEY',
      '--store',
      pair.store,
      '--drain-timeout',
      '5',
      ...flags,
    ],
    { OLD_KEY: pair.source.apiKey, NEW_KEY: pair.target.apiKey },
    kill ? { killWhen: kill } : {},
  );

/** Both instances' API requests so far (the cutover's progress, whatever the machine's load). */
const requestsOf = (pair: Pair) => pair.source.requests.length + pair.target.requests.length;

/** Resolves once the two doubles have received `count` requests of this run; rejects once it has ended. */
function atRequest(pair: Pair, count: number): (ended: AbortSignal) => Promise<void> {
  const before = requestsOf(pair);
  return (ended) =>
    new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (requestsOf(pair) - before < count) return;
        clearInterval(poll);
        resolve();
      }, 1);
      ended.addEventListener(
        'abort',
        () => {
          clearInterval(poll);
          reject(ended.reason);
        },
        { once: true },
      );
    });
}

/** The steps the journal had recorded done when the run was killed ('' before it was first written). */
async function stepsDone(pair: Pair): Promise<string> {
  const host = (double: N8nDouble) => {
    const { hostname, port } = new URL(double.url);
    return `${hostname}-${port}`;
  };
  const path = join(pair.store, `${host(pair.source)}-to-${host(pair.target)}.cutover-journal.json`);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return '';
  const journal = JSON.parse(text) as { done: { step: string }[]; frozen?: { unpublishedAt?: string }[] };
  const unpublished = journal.frozen?.filter((w) => w.unpublishedAt).length ?? 0;
  return `${journal.done.map((d) => d.step).join('>')}${journal.frozen ? ` (${unpublished} unpublished)` : ''}`;
}

/** Names published on both instances at once: what a cutover must never leave. */
function publishedOnBoth(pair: Pair): string[] {
  const onTarget = publishedVersions(pair.target);
  return [...publishedVersions(pair.source).keys()].filter((name) => onTarget.has(name));
}

function expectMoved(pair: Pair, where: string): void {
  expect([...publishedMarkers(pair.target)].sort(), where).toEqual([
    ['Caller', 'CALLS'],
    ['Counter', 'PUBLISHED-v1'],
    ['Orders hook', 'n8n-nodes-base.webhook'],
    ['Worker', 'n8n-nodes-base.executeWorkflowTrigger'],
  ]);
  const names = [...pair.target.state.workflows.values()].map((w) => w.name).sort();
  expect(names, where).toEqual(['Caller', 'Counter', 'Never', 'Orders hook', 'Worker']);
  const counter = [...pair.target.state.workflows.values()].find((w) => w.name === 'Counter');
  expect(counter?.staticData, where).toEqual({ global: { counter: 41 } });
  expect(publishedVersions(pair.source).size, where).toBe(0);
}

function expectBack(pair: Pair, where: string): void {
  expect(publishedVersions(pair.source), where).toEqual(pair.before);
  expect(publishedVersions(pair.target).size, where).toBe(0);
}

describe('a cutover killed at random moments', () => {
  it(`ends consistent after a re-run or --rollback (${TRIALS} seeded kills)`, {
    timeout: 420_000,
  }, async () => {
    // Prepare: the span kills are drawn from, the requests of one uninterrupted cutover
    const timing = await freshPair('timing');
    const whole = await cutover(timing, []);
    expect(whole.code, whole.stderr).toBe(0);
    expectMoved(timing, 'uninterrupted');
    const span = requestsOf(timing);
    await Promise.all([timing.source.close(), timing.target.close()]);
    const random = createRandom(SEED);
    let kills = 0;
    const killedAt = new Set<string>();
    let frozenThenRolledBack = 0;

    for (let trial = 0; trial < TRIALS; trial++) {
      const pair = await freshPair(`trial-${trial}`);
      const killAt = 1 + Math.floor(((trial + random()) / TRIALS) * (span - 1));
      const back = trial % ROLLBACK_EVERY === ROLLBACK_EVERY - 1;
      const where = `seed ${SEED}, trial ${trial}, killed at request ${killAt} of ${span}, then ${back ? '--rollback' : 'again'}`;
      try {
        // Act
        const first = await cutover(pair, [], atRequest(pair, killAt));
        if (first.killed) {
          kills += 1;
          const done = await stepsDone(pair);
          killedAt.add(done);
          if (back && /\([1-9]\d* unpublished\)/.test(done)) frozenThenRolledBack += 1;
        } else expect(first.code, `${where}\n${first.stderr}`).toBe(0);
        expect(publishedOnBoth(pair), where).toEqual([]);
        const next = await cutover(pair, back ? ['--rollback'] : []);

        // Assess
        if (!back) {
          expect(next.code, `${where}\n${next.stdout}${next.stderr}`).toBe(0);
          expectMoved(pair, where);
        } else if (next.code === 2 && next.stderr.includes('nothing to roll back')) {
          // Killed before the journal was first written: nothing was frozen.
          expect(publishedVersions(pair.source), where).toEqual(pair.before);
        } else {
          expect(next.code, `${where}\n${next.stdout}${next.stderr}`).toBe(0);
          expectBack(pair, where);
        }
      } finally {
        await Promise.all([pair.source.close(), pair.target.close()]);
      }
    }
    expect(kills).toBeGreaterThanOrEqual(TRIALS - 2);
    // The kills fell in different steps, not all before the first write or after the last.
    expect(killedAt.size, [...killedAt].join(' | ')).toBeGreaterThanOrEqual(3);
    // At least one rollback put back a source the killed run had frozen.
    expect(frozenThenRolledBack, [...killedAt].join(' | ')).toBeGreaterThanOrEqual(1);
  });
});
