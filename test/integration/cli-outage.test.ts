/**
 * n8n's own outages, met by the CLI over real HTTP: the API double behind the fault proxy, which
 * answers every request for a while as n8n does while its database health check fails
 * (`503 {"message":"Database is not ready!"}`, measured on Postgres-backed n8n 2.41.1:
 * docs/REAL-N8N-FINDINGS.md) or as a gateway does in front of a stopped n8n (502). A call is asked
 * again for its retry budget, whatever --retries says, and each wait over 5 s is shown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { backupArgs, runCapturedCli } from './support/run-cli.js';

let source: N8nDouble;
let proxy: FaultProxy | undefined;
let store: string;

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-outage-'));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await source.close();
  await rm(store, { recursive: true, force: true });
});

describe('n8n-ark backup through an outage of n8n', () => {
  it('backs up through 20 s of 503 "Database is not ready!" in the middle, in one run, with exact counts and the waits shown', async () => {
    // Prepare
    const seeded = seedInstance(source.state, { workflows: 40, rowsTotal: 1200 });
    proxy = await startFaultProxy({
      upstream: source.url,
      seed: 1,
      outage: { afterRequests: 25, ms: 20_000, answer: 'database' },
    });

    // Act
    const run = await runCapturedCli(backupArgs(proxy.url, store, '--json'), { SOURCE_KEY: source.apiKey });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const { counts } = JSON.parse(run.stdout) as { counts: Record<string, number> };
    expect(counts).toMatchObject({
      workflows: seeded.workflows,
      dataTables: seeded.dataTables,
      dataTableRows: seeded.dataTableRows,
      tags: seeded.tags,
      credentials: seeded.credentials,
    });
    const { outage } = proxy.stats();
    expect(outage.answered).toBeGreaterThan(4);
    expect(outage.endedAt! - outage.startedAt!).toBe(20_000);
    // More tries than --retries (5) allows for other failures, and the long waits on the terminal.
    expect(run.stderr).toMatch(
      /warning: n8n answered 503 to GET \S+ \(Database is not ready!\): asking again in \d+ s \(attempt \d+; up to \d+ s more\)/,
    );
  }, 90_000);

  it('backs up through 6 s of 502 from a gateway in front of a stopped n8n', async () => {
    // Prepare
    const seeded = seedInstance(source.state, { workflows: 10, rowsTotal: 100 });
    proxy = await startFaultProxy({
      upstream: source.url,
      seed: 1,
      outage: { afterRequests: 10, ms: 6_000, answer: 'gateway' },
    });

    // Act
    const run = await runCapturedCli(backupArgs(proxy.url, store, '--json'), { SOURCE_KEY: source.apiKey });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { counts: Record<string, number> }).counts.workflows).toBe(
      seeded.workflows,
    );
    expect(proxy.stats().outage.answered).toBeGreaterThan(0);
  }, 60_000);

  it('fails when the outage outlasts --retry-budget, naming the budget (exit 3)', async () => {
    // Prepare
    seedInstance(source.state, { workflows: 5, rowsTotal: 10 });
    proxy = await startFaultProxy({
      upstream: source.url,
      seed: 1,
      outage: { afterRequests: 0, ms: 60_000, answer: 'database' },
    });

    // Act
    const started = Date.now();
    const run = await runCapturedCli(backupArgs(proxy.url, store, '--retry-budget', '3', '--retries', '1'), {
      SOURCE_KEY: source.apiKey,
    });

    // Assess
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /n8n answered 503 to GET \S+: Database is not ready! \(tried \d+ times in 3 s, the retry budget; --retry-budget\)/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
