/**
 * End to end against real n8n 2.41.1 (community edition) on loopback, on SQLite and on PostgreSQL
 * (vitest.e2e.config.ts runs this file once per database): the built CLI runs as a child process,
 * exactly as an operator runs it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './harness/cli.js';
import { type RealN8n, startN8n } from './harness/n8n-instance.js';
import { type SeedResult, seedRealN8n } from './harness/seed-real.js';

async function api<T>(n8n: RealN8n, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${n8n.url}/api/v1${path}`, {
    ...init,
    headers: { 'X-N8N-API-KEY': n8n.apiKey, 'content-type': 'application/json' },
  });
  if (!response.ok) throw new Error(`${path} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Wf {
  id: string;
  name: string;
  active: boolean;
  isArchived?: boolean;
  nodes: {
    name: string;
    parameters: Record<string, unknown>;
    credentials?: Record<string, { id: string }>;
  }[];
  settings: Record<string, unknown>;
}

const workflowsOf = async (n8n: RealN8n) => (await api<{ data: Wf[] }>(n8n, '/workflows?limit=250')).data;
const keyEnv = (n8n: RealN8n) => ({ ARK_E2E_KEY: n8n.apiKey });
const conn = (n8n: RealN8n) => ['--url', n8n.url, '--api-key-env', 'ARK_E2E_KEY'];

const DRAFT_NOTE = 'edited in the draft, not published';

let a: RealN8n;
let b: RealN8n;
let seed: SeedResult;
let store: string;
let archiveA: string;

beforeAll(async () => {
  [a, b] = await Promise.all([startN8n('a'), startN8n('b')]);
  seed = await seedRealN8n(a.url, a.apiKey, { rows: 3000 });
  // Edited in the editor after publishing: A runs the published version, its draft has a note.
  const webhook = await api<Wf>(a, `/workflows/${seed.workflows.webhook}`);
  await a.saveDraft(
    webhook.id,
    webhook.nodes.map((n) => (n.name === 'Done' ? { ...n, notes: DRAFT_NOTE } : n)),
  );
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-store-'));
}, 240_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  if (store) await rm(store, { recursive: true, force: true });
});

describe('n8n-ark against a real n8n pair', () => {
  it('backs up A, recording unlicensed variables and projects as skipped with the licence reason', async () => {
    const run = await cli(['backup', ...conn(a), '--store', store, '--instance', 'a', '--json'], keyEnv(a));

    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      archive: string;
      counts: Record<string, number>;
      skipped: { resource: string; reason: string }[];
    };
    archiveA = out.archive;
    expect(out.counts).toMatchObject({
      workflows: 5,
      tags: 3,
      credentials: 2,
      dataTables: 1,
      dataTableRows: seed.rows,
    });
    expect(out.skipped.map((s) => s.resource)).toEqual(expect.arrayContaining(['variables', 'projects']));
    expect(out.skipped.find((s) => s.resource === 'variables')?.reason).toMatch(/licen[cs]e/);
    expect(run.stdout).not.toContain(a.apiKey);
    expect((await cli(['verify', archiveA])).code).toBe(0);
    const inspect = await cli(['inspect', archiveA, '--json']);
    expect((JSON.parse(inspect.stdout) as { source: { n8nVersion: unknown } }).source.n8nVersion).toBe(
      '2.41.1',
    );
  });

  it('fails a backup through a key that may not list credentials (exit 6, credential:list named, nothing published); with --exclude credentials it exits 0 and the manifest says so', async () => {
    // Prepare
    const scoped = await a.createApiKey(
      a.allScopes.filter((scope) => scope !== 'credential:list'),
      'no credential:list',
    );
    const scopedStore = await mkdtemp(join(tmpdir(), 'n8n-ark-e2e-scoped-'));
    const args = ['backup', ...conn(a), '--store', scopedStore, '--instance', 'a'];
    try {
      // Act
      const refused = await cli(args, { ARK_E2E_KEY: scoped });
      const excluded = await cli([...args, '--exclude', 'credentials', '--json'], {
        ARK_E2E_KEY: scoped,
        USER: 'e2e',
      });

      // Assess
      expect(refused.code, refused.stderr).toBe(6);
      expect(refused.stderr).toMatch(/may not read credentials \(n8n wants credential:list\)/);
      expect(refused.stderr).toContain('no archive was published');
      expect(excluded.code, excluded.stderr).toBe(0);
      const out = JSON.parse(excluded.stdout) as {
        archive: string;
        counts: Record<string, number>;
        excluded: { resource: string; askedBy: string }[];
      };
      expect(out.excluded).toEqual([
        { resource: 'credentials', askedBy: 'n8n-ark backup --exclude, run by e2e' },
      ]);
      expect(out.counts.credentials).toBeUndefined();
      expect(out.counts.workflows).toBe(5);
      const inspect = await cli(['inspect', out.archive, '--json']);
      expect((JSON.parse(inspect.stdout) as { excluded: unknown }).excluded).toEqual(out.excluded);
      expect((await cli(['verify', out.archive])).code).toBe(0);
    } finally {
      await rm(scopedStore, { recursive: true, force: true });
    }
  });

  it('restores into an empty B so that a backup of B has no semantic difference from A', async () => {
    const restore = await cli(['restore', archiveA, ...conn(b), '--json'], keyEnv(b));
    expect(restore.code, restore.stderr).toBe(0);
    const report = JSON.parse(restore.stdout) as { created: Record<string, number> };
    expect(report.created.workflows).toBe(5);

    const backupB = await cli(
      ['backup', ...conn(b), '--store', store, '--instance', 'b', '--json'],
      keyEnv(b),
    );
    expect(backupB.code, backupB.stderr).toBe(0);
    const diff = await cli(['diff', archiveA, (JSON.parse(backupB.stdout) as { archive: string }).archive]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });

  it('re-activates what was active, and B answers on its production webhook URL', async () => {
    const inA = await workflowsOf(a);
    const inB = await workflowsOf(b);
    const activeNames = (ws: Wf[]) =>
      ws
        .filter((w) => w.active)
        .map((w) => w.name)
        .sort();
    expect(activeNames(inB)).toEqual(activeNames(inA));
    expect(inB.find((w) => w.name === 'Legacy import (archived)')?.isArchived).toBe(true);

    let status = 0;
    for (let attempt = 0; attempt < 40 && status !== 200; attempt += 1) {
      status = (await fetch(`${b.url}/webhook/${seed.webhookPath}`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  });

  it("runs on B the version that ran on A, and keeps what A had as its draft as B's draft", async () => {
    type Versioned = Wf & { activeVersion: { nodes: Wf['nodes'] } | null };
    const done = (nodes: Wf['nodes'] | undefined) =>
      (nodes?.find((n) => n.name === 'Done') as { notes?: string } | undefined)?.notes;
    const inA = await api<Versioned>(a, `/workflows/${seed.workflows.webhook}`);
    const listed = (await workflowsOf(b)).find((w) => w.name === inA.name);
    const inB = await api<Versioned>(b, `/workflows/${listed?.id}`);

    expect([done(inA.activeVersion?.nodes), done(inA.nodes)]).toEqual([undefined, DRAFT_NOTE]);
    expect([done(inB.activeVersion?.nodes), done(inB.nodes)]).toEqual([undefined, DRAFT_NOTE]);
    expect(inB.active).toBe(true);
  });

  it("points B's sub-workflow, error-workflow, credential and data-table references at B's objects", async () => {
    const inB = await workflowsOf(b);
    const byName = new Map(inB.map((w) => [w.name, w]));
    const parent = byName.get('Facturation journalière — 請求')!;
    const child = byName.get('Child: enrich customer')!;
    const errorHandler = byName.get('Error handler ⚠️')!;
    const tables = (await api<{ data: { id: string; name: string }[] }>(b, '/data-tables')).data;
    const credentials = (await api<{ data: { id: string }[] }>(b, '/credentials')).data.map((c) => c.id);

    const node = (w: Wf, name: string) => w.nodes.find((n) => n.name === name)!;
    expect(child.id).not.toBe(seed.workflows.child);
    expect((node(parent, 'Call child (locator)').parameters.workflowId as { value: string }).value).toBe(
      child.id,
    );
    expect(node(parent, 'Call child (string)').parameters.workflowId).toBe(child.id);
    expect(parent.settings.errorWorkflow).toBe(errorHandler.id);
    expect(credentials).toContain(node(parent, 'Post invoice').credentials?.httpHeaderAuth?.id);
    expect((node(child, 'Lookup customer').parameters.dataTableId as { value: string }).value).toBe(
      tables.find((t) => t.name === 'customers')?.id,
    );
  });

  it('writes nothing when the same archive is restored into B again', async () => {
    const again = await cli(['restore', archiveA, ...conn(b), '--json'], keyEnv(b));

    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as {
      created: Record<string, number>;
      updated: Record<string, number>;
    };
    expect(Object.values(report.created).reduce((x, y) => x + y, 0)).toBe(0);
    expect(Object.values(report.updated).reduce((x, y) => x + y, 0)).toBe(0);
  });

  it('plans with --require-same-minor once B has a workflow to tell its version by (2.41.1 on both sides)', async () => {
    const ledger = join(store, 'fresh-ledger-for-version-check.json');
    const plan = await cli(
      ['restore', archiveA, ...conn(b), '--dry-run', '--require-same-minor', '--ledger', ledger, '--json'],
      keyEnv(b),
    );

    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain('older-target');
    expect(plan.stdout).not.toContain('n8n versions not compared');
  });

  it('finishes a restore that was killed mid-way with the same state as a clean run', async () => {
    const c = await startN8n('c');
    try {
      const ledger = join(store, 'c-ledger.json');
      const args = ['restore', archiveA, ...conn(c), '--ledger', ledger, '--json'];
      const killed = await cli(args, keyEnv(c), 1500);
      const resumed = await cli(args, keyEnv(c));
      expect(resumed.code, resumed.stderr).toBe(0);

      const backupC = await cli(
        ['backup', ...conn(c), '--store', store, '--instance', 'c', '--json'],
        keyEnv(c),
      );
      const diff = await cli(['diff', archiveA, (JSON.parse(backupC.stdout) as { archive: string }).archive]);
      expect(diff.code, `killed run exited ${killed.code}; diff: ${diff.stdout}`).toBe(0);
      const names = (await workflowsOf(c)).map((w) => w.name);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await c.stop();
    }
  }, 240_000);

  it('rebuilds A with the same workflow ids (--keep-workflow-ids), also when killed mid-way and run again', async () => {
    const e = await startN8n('e');
    try {
      const ledger = join(store, 'e-ledger.json');
      const args = ['restore', archiveA, ...conn(e), '--keep-workflow-ids', '--ledger', ledger, '--json'];
      const killed = await cli(args, keyEnv(e), 2500);
      const resumed = await cli(args, keyEnv(e));
      expect(resumed.code, resumed.stderr).toBe(0);

      const inA = await workflowsOf(a);
      const inE = await workflowsOf(e);
      expect(inE.map((w) => w.id).sort()).toEqual(inA.map((w) => w.id).sort());
      const parent = inE.find((w) => w.id === seed.workflows.parent)!;
      expect(parent.settings.errorWorkflow).toBe(seed.workflows.errorHandler);
      expect(
        inE
          .filter((w) => w.active)
          .map((w) => w.id)
          .sort(),
      ).toEqual(
        inA
          .filter((w) => w.active)
          .map((w) => w.id)
          .sort(),
      );
      const backupE = await cli(
        ['backup', ...conn(e), '--store', store, '--instance', 'e', '--json'],
        keyEnv(e),
      );
      const diff = await cli(['diff', archiveA, (JSON.parse(backupE.stdout) as { archive: string }).archive]);
      expect(diff.code, `killed run exited ${killed.code}; diff: ${diff.stdout}`).toBe(0);

      const again = await cli(['restore', archiveA, ...conn(e), '--keep-workflow-ids', '--json'], keyEnv(e));
      const report = JSON.parse(again.stdout) as {
        created: Record<string, number>;
        updated: Record<string, number>;
      };
      expect(Object.values(report.created).reduce((x, y) => x + y, 0)).toBe(0);
      expect(Object.values(report.updated).reduce((x, y) => x + y, 0)).toBe(0);
    } finally {
      await e.stop();
    }
  }, 240_000);

  it('publishes on a run after --no-activate, then fills a stub once its secret is known, creating nothing twice', async () => {
    const f = await startN8n('f');
    try {
      const ledger = join(store, 'f-ledger.json');
      const secrets = join(store, 'f-secrets.json');
      await writeFile(
        secrets,
        JSON.stringify({ 'Billing API header': { name: 'X-Api-Key', value: 'known-later' } }),
        { mode: 0o600 },
      );
      const restore = (...extra: string[]) =>
        cli(['restore', archiveA, ...conn(f), '--ledger', ledger, '--json', ...extra], keyEnv(f));
      type Report = {
        created: Record<string, number>;
        updated: Record<string, number>;
        warnings: { code: string; message: string }[];
      };
      const total = (counts: Record<string, number>) => Object.values(counts).reduce((x, y) => x + y, 0);

      const inactive = await restore('--no-activate');
      const activeAfterFirst = (await workflowsOf(f)).filter((w) => w.active).length;
      const activated = await restore();
      const filled = await restore('--credential-secrets', secrets);
      const again = await restore('--credential-secrets', secrets);

      for (const run of [inactive, activated, filled, again]) expect(run.code, run.stderr).toBe(0);
      expect(activeAfterFirst).toBe(0);
      const activeNames = (ws: Wf[]) =>
        ws
          .filter((w) => w.active)
          .map((w) => w.name)
          .sort();
      expect(activeNames(await workflowsOf(f))).toEqual(activeNames(await workflowsOf(a)));
      // The webhook workflow was edited after publishing on A: F runs what ran on A, its draft kept.
      type Versioned = Wf & { activeVersion: { nodes: Wf['nodes'] } | null };
      const webhookInF = (await workflowsOf(f)).find(
        (w) => w.id !== seed.workflows.webhook && w.name.startsWith('Inbound webhook'),
      );
      const versions = await api<Versioned>(f, `/workflows/${webhookInF?.id}`);
      const note = (nodes: Wf['nodes'] | undefined) =>
        (nodes?.find((n) => n.name === 'Done') as { notes?: string } | undefined)?.notes;
      expect([note(versions.activeVersion?.nodes), note(versions.nodes)]).toEqual([undefined, DRAFT_NOTE]);
      expect(total((JSON.parse(activated.stdout) as Report).created)).toBe(0);
      const secretRun = JSON.parse(filled.stdout) as Report;
      expect(total(secretRun.created)).toBe(0);
      expect(secretRun.updated.credentials).toBe(1);
      expect(secretRun.warnings.map((w) => w.message)).not.toContainEqual(
        expect.stringMatching(/"Billing API header".*created as a stub/),
      );
      expect(filled.stdout + filled.stderr).not.toContain('known-later');
      expect((JSON.parse(again.stdout) as Report).warnings.map((w) => w.code)).toContain('already-restored');
      const names = (await workflowsOf(f)).map((w) => w.name);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await f.stop();
    }
  }, 240_000);

  describe('bad input gets a clear, specific error and no writes', () => {
    it('a wrong API key', async () => {
      const run = await cli(['restore', archiveA, ...conn(b)], { ARK_E2E_KEY: 'not-the-key' });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/rejected the API key/);
      expect(run.stderr).not.toContain('not-the-key');
    });

    it('a key without workflow:create', async () => {
      const d = await startN8n('d');
      try {
        const before = (await workflowsOf(d)).length;
        const tagsBefore = (await api<{ data: unknown[] }>(d, '/tags')).data.length;
        const restrictedKey = await d.createApiKey(d.allScopes.filter((s) => s !== 'workflow:create'));
        const run = await cli(['restore', archiveA, ...conn(d)], { ARK_E2E_KEY: restrictedKey });
        expect(run.code).toBe(3);
        expect(run.stderr).toMatch(/workflow:create/);
        expect((await workflowsOf(d)).length).toBe(before);
        expect((await api<{ data: unknown[] }>(d, '/tags')).data.length).toBe(tagsBefore);
      } finally {
        await d.stop();
      }
    }, 240_000);

    it('a URL that is not n8n', async () => {
      const other: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>not n8n</html>');
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
        const run = await cli(
          ['backup', '--url', url, '--api-key-env', 'ARK_E2E_KEY', '--store', store],
          keyEnv(a),
        );
        expect(run.code).toBe(3);
        expect(run.stderr).toMatch(/does not look like n8n's Public API/);
      } finally {
        other.close();
      }
    });
  });
});
