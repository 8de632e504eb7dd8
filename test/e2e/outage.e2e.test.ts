/**
 * n8n's own outages, on a real Postgres-backed n8n 2.41.1 (issue 25, item 3): its database frozen
 * for 20 s (SIGSTOP to the whole PostgreSQL cluster, then SIGCONT), first measured from the outside
 * — what n8n answers meanwhile, and how soon it answers again — then met by the built CLI: a backup
 * with the freeze in its middle exits 0, in one invocation, with the counts of a backup made without
 * it. n8n notices a frozen database only at its next health ping (every 2 s, 5 s timeout): requests
 * that arrive before then hang until the thaw; those after are answered 503 "Database is not
 * ready!" at once. The backup's request that meets the freeze is held by the proxy until n8n says
 * so, so the backup then meets the 503s for the rest of the outage (more than --retries alone rides
 * out: five retries wait at most about 8 s).
 *
 * Then a restore into a target whose database keeps stalling (2.5–4 s freezes every few seconds,
 * n8n's pool told to give up on a connection after 1 s: `DB_POSTGRESDB_CONNECTION_TIMEOUT=1000`):
 * n8n then answers some writes `400 "timeout exceeded when trying to connect"` after it saved them
 * (a PUT /workflows/{id} whose save went through and whose read-back waited for a connection), and
 * others 500 or 503. The restore must end equal to the archive, nothing twice, in at most two
 * invocations.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../support/fault-proxy.js';
import { cli, publicApiList } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';
import { seedRealN8n } from './harness/seed-real.js';

const OUTAGE_MS = 20_000;

let n8n: RealN8n;
let store: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Freezes n8n's database now and lets it go `ms` later (never left frozen: the timer is awaited by the caller). */
function freezeDatabase(ms: number): Promise<void> {
  n8n.pauseDatabase();
  return sleep(ms).then(() => n8n.resumeDatabase());
}

interface Probe {
  at: number;
  status: number | string;
  message: string;
  ms: number;
}

/** One GET /workflows?limit=1, as its answer (or failure) and how long it took. */
async function probe(started: number, timeoutMs = 40_000): Promise<Probe> {
  const sent = Date.now();
  try {
    const answer = await fetch(`${n8n.url}/api/v1/workflows?limit=1`, {
      headers: { 'X-N8N-API-KEY': n8n.apiKey },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await answer.text();
    const message = answer.ok
      ? ''
      : ((JSON.parse(text) as { message?: string }).message ?? text.slice(0, 80));
    return { at: sent - started, status: answer.status, message, ms: Date.now() - sent };
  } catch (error) {
    return { at: sent - started, status: (error as Error).name, message: '', ms: Date.now() - sent };
  }
}

/** The failing answers that are not the community edition's licence refusals. */
function notLicence(failures: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(failures).filter(([k]) => !k.includes('license does not allow')));
}

/** `n8n-ark backup` of the instance at `url` (n8n's own, or a proxy in front of it) with `apiKey`. */
async function backUp(url: string, instance: string, apiKey = n8n.apiKey) {
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
      instance,
      '--json',
    ],
    { ARK_E2E_KEY: apiKey },
  );
  const parsed =
    run.code === 0
      ? (JSON.parse(run.stdout) as { archive: string; counts: Record<string, number> })
      : undefined;
  return { ...run, archive: parsed?.archive ?? '', counts: parsed?.counts ?? {} };
}

beforeAll(async () => {
  n8n = await startN8n('outage', { database: 'postgres' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-outage-'));
  await seedRealN8n(n8n.url, n8n.apiKey, { rows: 6_000 });
}, 300_000);

afterAll(async () => {
  n8n?.resumeDatabase();
  await n8n?.stop();
  if (store) await rm(store, { recursive: true, force: true });
});

describe(`Postgres-backed n8n whose database freezes for ${OUTAGE_MS / 1000} s`, () => {
  it('answers 503 "Database is not ready!" while it is frozen, and 200 again soon after (measured)', async () => {
    // Act: a probe every 500 ms from before the freeze until 15 s after it
    const started = Date.now();
    const probes: Promise<Probe>[] = [];
    const frozen = freezeDatabase(OUTAGE_MS);
    while (Date.now() - started < OUTAGE_MS + 15_000) {
      probes.push(probe(started));
      await sleep(500);
    }
    await frozen;
    const answers = await Promise.all(probes);

    // Assess
    const summary = new Map<string, number>();
    for (const a of answers)
      summary.set(`${a.status} ${a.message}`, (summary.get(`${a.status} ${a.message}`) ?? 0) + 1);
    const firstNotReady = answers.find((a) => a.message === 'Database is not ready!');
    const backAt = answers.find((a) => a.at > OUTAGE_MS && a.status === 200);
    console.log(
      `n8n while its database was frozen ${OUTAGE_MS / 1000} s: ${[...summary].map(([k, v]) => `${v} × ${k}`).join('; ')}; first "Database is not ready!" sent at ${firstNotReady?.at} ms; first 200 sent after the thaw at ${backAt?.at} ms; slowest answer ${Math.max(...answers.map((a) => a.ms))} ms`,
    );
    expect(firstNotReady).toBeDefined();
    expect(answers.filter((a) => a.status === 503).every((a) => a.message === 'Database is not ready!')).toBe(
      true,
    );
    expect(backAt).toBeDefined();
  }, 120_000);

  it('is backed up through the freeze in the middle of the backup: exit 0, one invocation, the counts of a backup without it', async () => {
    // Prepare: a backup undisturbed, for the counts
    const reference = await backUp(n8n.url, 'reference');
    expect(reference.code, reference.stderr).toBe(0);
    let forwarded = 0;
    let frozen: Promise<void> | undefined;
    let noticedAfterMs: number | undefined;
    const proxy = await startFaultProxy({
      upstream: n8n.url,
      seed: 1,
      beforeForward: async () => {
        forwarded += 1;
        // Past the first reads, while rows and workflows are being read.
        if (forwarded !== 12) return;
        const started = Date.now();
        frozen = freezeDatabase(OUTAGE_MS);
        while (Date.now() - started < OUTAGE_MS) {
          // Short probes: one sent before n8n noticed hangs until the thaw.
          if ((await probe(started, 1_000)).message === 'Database is not ready!') break;
          await sleep(250);
        }
        noticedAfterMs = Date.now() - started;
      },
    });

    // Act
    const started = Date.now();
    let run: Awaited<ReturnType<typeof backUp>>;
    try {
      run = await backUp(proxy.url, 'through-outage');
    } finally {
      await frozen;
      await proxy.close();
    }

    // Assess
    const stats = proxy.stats();
    console.log(
      `backup through a ${OUTAGE_MS / 1000} s database freeze (n8n said so after ${noticedAfterMs} ms): exit ${run.code} in ${Date.now() - started} ms, ${stats.requests} requests; n8n's failing answers: ${JSON.stringify(notLicence(stats.upstreamFailures))}; waits shown: ${run.stderr
        .split('\n')
        .filter((l) => l.startsWith('warning:'))
        .join(' / ')}`,
    );
    expect(frozen).toBeDefined();
    expect(run.code, run.stderr).toBe(0);
    expect(run.counts).toEqual(reference.counts);
    const notReady = Object.entries(stats.upstreamFailures)
      .filter(([k]) => k.includes('Database is not ready!'))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(notReady).toBeGreaterThan(5);
  }, 240_000);
});

describe('Postgres-backed n8n whose database keeps stalling (freezes of 2.5–4 s every few seconds, its pool giving up on a connection after 1 s)', () => {
  let target: RealN8n;
  let stalling = false;
  let stalls: Promise<void> = Promise.resolve();

  function startStalling(): void {
    stalling = true;
    stalls = (async () => {
      for (let round = 0; stalling; round += 1) {
        await sleep(2_000);
        if (!stalling) break;
        target.pauseDatabase();
        await sleep(2_500 + (round % 4) * 500);
        target.resumeDatabase();
      }
    })();
  }

  /** Stops the stalls and waits until n8n has noticed its database is back (its ping runs every 2 s). */
  async function stopStalling(): Promise<void> {
    stalling = false;
    await stalls;
    const deadline = Date.now() + 60_000;
    while (
      Date.now() < deadline &&
      (await call('GET', '/workflows?limit=1').catch(() => undefined))?.status !== 200
    )
      await sleep(500);
  }

  async function call(method: string, path: string, body?: unknown) {
    const answer = await fetch(`${target.url}/api/v1${path}`, {
      method,
      headers: { 'X-N8N-API-KEY': target.apiKey, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: answer.status, text: await answer.text() };
  }

  beforeAll(async () => {
    target = await startN8n('outage-target', {
      database: 'postgres',
      env: { DB_POSTGRESDB_CONNECTION_TIMEOUT: '1000' },
    });
  }, 300_000);

  afterAll(async () => {
    await stopStalling();
    target?.resumeDatabase();
    await target?.stop();
  });

  it('answers writes 503, 500, 401 and 400 "timeout exceeded when trying to connect" (measured: which of them followed a save)', async () => {
    // Act: six writers create workflows and rename each once (PUT), while the database stalls
    const answers: { method: string; name: string; status: number; message: string }[] = [];
    const messageOf = (text: string) => {
      try {
        return ((JSON.parse(text) as { message?: string }).message ?? '').slice(0, 60);
      } catch {
        return text.slice(0, 60);
      }
    };
    let writing = true;
    const writers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; writing; i += 1) {
        const name = `probe ${w}-${i}`;
        const created = await call('POST', '/workflows', { ...probeBody(name) });
        answers.push({ method: 'POST', name, status: created.status, message: messageOf(created.text) });
        if (created.status !== 200) continue;
        const id = (JSON.parse(created.text) as { id: string }).id;
        const renamed = `${name} renamed`;
        const put = await call('PUT', `/workflows/${id}`, { ...probeBody(renamed), description: 'x' });
        answers.push({ method: 'PUT', name: renamed, status: put.status, message: messageOf(put.text) });
      }
    });
    startStalling();
    await sleep(30_000);
    await stopStalling();
    writing = false;
    await Promise.all(writers);

    // Assess: which failing answers were saved all the same
    const present = await publicApiList<{ id: string; name: string }>(target, '/workflows?limit=250');
    const names = new Set(present.map((w) => w.name));
    const summary = new Map<string, number>();
    for (const a of answers.filter((a) => a.status !== 200)) {
      const key = `${a.method} ${a.status} ${a.message} → ${names.has(a.name) ? 'saved' : 'not saved'}`;
      summary.set(key, (summary.get(key) ?? 0) + 1);
    }
    console.log(
      `writes while the database stalled: ${answers.filter((a) => a.status === 200).length} answered 200; ${[...summary].map(([k, v]) => `${v} × ${k}`).join('; ')}`,
    );
    for (const w of present) await call('DELETE', `/workflows/${w.id}`);
    expect(answers.some((a) => a.message === 'Database is not ready!')).toBe(true);
    expect(answers.some((a) => a.status !== 200 && a.status !== 503)).toBe(true);
  }, 180_000);

  it('is restored into through the stalls: equal to the archive, nothing twice, at most two invocations', async () => {
    // Prepare: the archive
    const backup = await backUp(n8n.url, 'restore-source');
    expect(backup.code, backup.stderr).toBe(0);
    const { archive } = backup;
    const proxy = await startFaultProxy({ upstream: target.url, seed: 1 });
    const restore = () =>
      cli(['restore', archive, '--url', proxy.url, '--api-key-env', 'ARK_E2E_KEY', '--json'], {
        ARK_E2E_KEY: target.apiKey,
      });
    const runs: { code: number | null; stderr: string }[] = [];
    try {
      // Act: the first run while the database stalls, a second one (as an operator would) if it did not finish
      startStalling();
      runs.push(await restore());
      await stopStalling();
      if (runs[0]?.code !== 0) runs.push(await restore());

      // Assess
      const stats = proxy.stats();
      const after = await backUp(target.url, 'restore-target', target.apiKey);
      expect(after.code, after.stderr).toBe(0);
      const diff = await cli(['diff', archive, after.archive]);
      const names = (await publicApiList<{ name: string }>(target, '/workflows?limit=250')).map(
        (w) => w.name,
      );
      console.log(
        `restore into a stalling database: ${runs.length} invocation(s), exits ${runs.map((r) => r.code).join(', ')}; n8n's failing answers: ${JSON.stringify(notLicence(stats.upstreamFailures))}; first run's errors: ${
          runs[0]?.stderr
            .split('\n')
            .filter((l) => l.startsWith('error'))
            .join(' / ') || 'none'
        }`,
      );
      expect(runs.at(-1)?.code, runs.at(-1)?.stderr).toBe(0);
      expect(diff.code, diff.stdout + diff.stderr).toBe(0);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await stopStalling();
      target.resumeDatabase();
      await proxy.close();
    }
  }, 480_000);
});

/** A workflow n8n accepts on POST (no description) and PUT. */
function probeBody(name: string) {
  return {
    name,
    nodes: [
      {
        id: randomUUID(),
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
    ],
    connections: {},
    settings: {},
  };
}
