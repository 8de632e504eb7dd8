/**
 * What only the API double does (the contract suite covers what it shares with n8n): fault
 * injection, the request log, keys and licences switched at run time, and the seeders.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { seedInstance, seedViaApi } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { DoubleState } from '../double/state.js';

type Obj = Record<string, unknown>;

const started: N8nDouble[] = [];
async function double(options: Parameters<typeof startN8nDouble>[0] = {}): Promise<N8nDouble> {
  const instance = await startN8nDouble(options);
  started.push(instance);
  return instance;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((instance) => instance.close()));
});

async function call(
  target: N8nDouble,
  method: string,
  path: string,
  options: { body?: unknown; key?: string } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${target.url}/api/v1${path}`, {
    method,
    headers: {
      'X-N8N-API-KEY': options.key ?? target.apiKey,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** Follows cursors to the end, as a backup does. */
async function listAll(target: N8nDouble, path: string): Promise<Obj[]> {
  const items: Obj[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await call(
      target,
      'GET',
      `${path}${separator}limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.status, path).toBe(200);
    const body = page.body as { data: Obj[]; nextCursor: string | null };
    items.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

describe('fault injection', () => {
  it('answers every request 429 with the configured Retry-After when rate429 is 1', async () => {
    const target = await double({ faults: { rate429: 1, retryAfterSeconds: 3 } });

    const answer = await call(target, 'GET', '/tags');

    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(target.requests).toEqual([{ method: 'GET', path: '/tags', query: '', status: 429, fault: '429' }]);
  });

  it('repeats the same sequence of faults for the same seed, and a new one when the seed changes', async () => {
    const statuses = async (target: N8nDouble) => {
      const seen: number[] = [];
      for (let i = 0; i < 24; i += 1) seen.push((await call(target, 'GET', '/tags')).status);
      return seen;
    };
    const a = await double({ faults: { rate500: 0.5, seed: 3 } });
    const b = await double({ faults: { rate500: 0.5, seed: 3 } });

    const first = await statuses(a);
    const second = await statuses(b);
    b.faults.seed = 4;
    const reseeded = await statuses(b);

    expect(first).toEqual(second);
    expect(new Set(first)).toEqual(new Set([200, 500]));
    expect(reseeded).not.toEqual(first);
  });

  it('destroys the connection without an answer and logs status -1', async () => {
    const target = await double({ faults: { rateReset: 1 } });

    await expect(call(target, 'GET', '/workflows')).rejects.toThrow();

    expect(target.requests[0]).toMatchObject({
      method: 'GET',
      path: '/workflows',
      status: -1,
      fault: 'reset',
    });
  });

  it('leaves writes alone when readsOnly is set', async () => {
    const target = await double({ faults: { rate500: 1, readsOnly: true } });

    const write = await call(target, 'POST', '/tags', { body: { name: 'kept' } });
    const read = await call(target, 'GET', '/tags');

    expect([write.status, read.status]).toEqual([201, 500]);
  });

  it('applies a write, then loses its answer, with rateResetAfterWrite', async () => {
    const target = await double({ faults: { rateResetAfterWrite: 1 } });

    await expect(call(target, 'POST', '/tags', { body: { name: 'applied' } })).rejects.toThrow();
    const read = await call(target, 'GET', '/tags');

    expect(target.state.tagByName('applied')).toBeDefined();
    expect((read.body as { data: Obj[] }).data.map((t) => t.name)).toEqual(['applied']);
    expect(target.requests[0]).toMatchObject({ method: 'POST', status: -1, fault: 'reset-after-write' });
  });

  it('faults only the requests `match` accepts', async () => {
    const target = await double({
      faults: { rate500: 1, match: ({ path }) => path.startsWith('/data-tables') },
    });

    const tables = await call(target, 'GET', '/data-tables');
    const tags = await call(target, 'GET', '/tags');

    expect([tables.status, tags.status]).toEqual([500, 200]);
  });

  it('delays every answer by latencyMs', async () => {
    const target = await double({ faults: { latencyMs: 120 } });

    const started = performance.now();
    await call(target, 'GET', '/tags');

    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('request log', () => {
  it('counts every request that is not a GET as a write, whatever its answer', async () => {
    const target = await double();

    await call(target, 'POST', '/tags', { body: { name: 'one' } });
    await call(target, 'POST', '/tags', { body: { name: 'one' } });
    await call(target, 'PUT', '/workflows/NoSuchWorkflow00', { body: {} });
    await call(target, 'GET', '/tags?limit=5');

    expect(target.writeCount()).toBe(3);
    expect(target.requests.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
      ['POST', '/tags', '', 201],
      ['POST', '/tags', '', 409],
      ['PUT', '/workflows/NoSuchWorkflow00', '', 400],
      ['GET', '/tags', '?limit=5', 200],
    ]);
  });

  it('answers health checks outside the API without logging them', async () => {
    const target = await double();

    const health = await fetch(`${target.url}/healthz/readiness`);

    expect(await health.json()).toEqual({ status: 'ok' });
    expect(target.requests).toEqual([]);
  });
});

describe('keys, licences and quotas at run time', () => {
  it('gives an added key only its scopes, and forgets a removed one', async () => {
    const target = await double();
    target.addApiKey('tags-only', ['tag:list']);

    const allowed = await call(target, 'GET', '/tags', { key: 'tags-only' });
    const refused = await call(target, 'GET', '/workflows', { key: 'tags-only' });
    target.removeApiKey('tags-only');
    const forgotten = await call(target, 'GET', '/tags', { key: 'tags-only' });

    expect(allowed.status).toBe(200);
    expect([refused.status, refused.body]).toEqual([403, { message: 'Forbidden' }]);
    expect([forgotten.status, forgotten.body]).toEqual([401, { message: 'Unauthorized' }]);
  });

  it('opens and closes licence gates with setLicensed', async () => {
    const target = await double();

    const before = await call(target, 'GET', '/variables');
    target.setLicensed(['feat:variables']);
    const after = await call(target, 'GET', '/variables');
    const projects = await call(target, 'GET', '/projects');

    expect(before.status).toBe(403);
    expect(after.status).toBe(200);
    expect(projects.status).toBe(403);
  });

  it('refuses GET /users while the user quota is limited', async () => {
    const target = await double();
    target.setUserQuotaUnlimited(false);

    const users = await call(target, 'GET', '/users');

    expect([users.status, users.body]).toEqual([
      403,
      { message: '/users path can only be used with a valid license. See https://n8n.io/pricing/' },
    ]);
  });
});

describe('seedInstance', () => {
  it('creates exactly what a backup lists through the API', async () => {
    const target = await double({ licensed: 'all' });
    const seeded = seedInstance(target.state, { workflows: 120, rowsTotal: 1_234, tables: 4 });

    const tables = await listAll(target, '/data-tables');
    let rows = 0;
    for (const table of tables) rows += (await listAll(target, `/data-tables/${table.id}/rows`)).length;
    const projects = await listAll(target, '/projects');
    let folders = 0;
    for (const project of projects) {
      const page = await call(target, 'GET', `/projects/${project.id}/folders?take=250`);
      folders += (page.body as { count: number }).count;
    }

    expect({
      workflows: (await listAll(target, '/workflows')).length,
      tags: (await listAll(target, '/tags')).length,
      variables: (await listAll(target, '/variables')).length,
      credentials: (await listAll(target, '/credentials')).length,
      dataTables: tables.length,
      dataTableRows: rows,
      projects: projects.length,
      folders,
      users: (await listAll(target, '/users')).length,
    }).toEqual(seeded);
    expect(seeded).toMatchObject({ workflows: 120, dataTables: 4, dataTableRows: 1_234 });
  });

  it('holds every kind of reference a restore must carry', () => {
    const state = new DoubleState({ idSeed: 11 });
    seedInstance(state, { workflows: 60, rowsTotal: 100 });
    const workflows = [...state.workflows.values()];
    const nodes = workflows.flatMap((w) => w.nodes);
    const ids = new Set(workflows.map((w) => w.id));
    const workflowRefs = nodes
      .filter((n) => n.type === 'n8n-nodes-base.executeWorkflow')
      .map((n) => (n.parameters as Obj).workflowId);

    expect(workflowRefs.some((ref) => typeof ref === 'string' && ids.has(ref))).toBe(true);
    expect(
      workflowRefs.some(
        (ref) =>
          (ref as Obj)?.__rl === true && (ref as Obj).mode === 'id' && ids.has(String((ref as Obj).value)),
      ),
    ).toBe(true);
    expect(
      workflowRefs.some(
        (ref) => (ref as Obj)?.mode === 'list' && typeof (ref as Obj).cachedResultName === 'string',
      ),
    ).toBe(true);
    expect(workflowRefs).toContainEqual({ __rl: true, value: '${undefined}', mode: 'id' });
    expect(workflowRefs).toContain('NoSuchWorkflow01');
    const tool = nodes.find((n) => n.type === '@n8n/n8n-nodes-langchain.toolWorkflow');
    const toolRef = (tool?.parameters as Obj | undefined)?.workflowId as Obj | undefined;
    expect(ids.has(String(toolRef?.value))).toBe(true);
    const credentialIds = new Set(state.credentials.keys());
    const used = nodes.flatMap((n) =>
      Object.values((n.credentials ?? {}) as Record<string, Obj>).map((c) => String(c.id)),
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((id) => credentialIds.has(id))).toBe(true);
    expect(new Set(used).size).toBe(credentialIds.size);
    const tableIds = new Set(state.dataTables.keys());
    const tableRefs = nodes
      .filter((n) => n.type === 'n8n-nodes-base.dataTable')
      .map((n) => ((n.parameters as Obj).dataTableId as Obj).value);
    expect(tableRefs.length).toBeGreaterThan(0);
    expect(tableRefs.every((id) => tableIds.has(String(id)))).toBe(true);
    expect(workflows.filter((w) => ids.has(String(w.settings.errorWorkflow))).length).toBeGreaterThan(0);
    const callerIds = workflows.flatMap((w) =>
      String(w.settings.callerIds ?? '')
        .split(',')
        .filter(Boolean),
    );
    expect(callerIds.length).toBeGreaterThan(0);
    expect(callerIds.every((id) => ids.has(id))).toBe(true);
    expect(workflows.some((w) => w.pinData !== null)).toBe(true);
    expect(workflows.some((w) => /\p{Extended_Pictographic}/u.test(w.name))).toBe(true);
    expect(workflows.some((w) => /[\u0100-\uffff]/.test(w.name))).toBe(true);
    expect(workflows.some((w) => w.isArchived && !w.active)).toBe(true);
    const activeTriggers = new Set(
      workflows.filter((w) => w.active).flatMap((w) => w.nodes.map((n) => n.type)),
    );
    expect(activeTriggers).toContain('n8n-nodes-base.scheduleTrigger');
    expect(activeTriggers).toContain('n8n-nodes-base.webhook');
    const types = new Set([...state.dataTables.values()].flatMap((t) => t.columns.map((c) => c.type)));
    expect(types).toEqual(new Set(['string', 'number', 'boolean', 'date']));
  });

  it("keeps each workflow's current and published graph in its saved versions, as n8n does", () => {
    const state = new DoubleState({ idSeed: 12 });
    seedInstance(state, { workflows: 40, rowsTotal: 10 });
    const mismatched = [...state.workflows.values()].flatMap((w) => {
      const versionOf = (id: string | null) => state.history.get(w.id)?.find((v) => v.versionId === id);
      const current = versionOf(w.versionId);
      const published = w.activeVersion ? versionOf(w.activeVersion.versionId) : undefined;
      return [
        ...(JSON.stringify([current?.nodes, current?.connections]) ===
        JSON.stringify([w.nodes, w.connections])
          ? []
          : [`${w.id} current`]),
        ...(w.activeVersion &&
        JSON.stringify([published?.nodes, published?.connections]) !==
          JSON.stringify([w.activeVersion.nodes, w.activeVersion.connections])
          ? [`${w.id} published`]
          : []),
      ];
    });

    expect(mismatched).toEqual([]);
    expect([...state.workflows.values()].some((w) => w.nodes.length > 0)).toBe(true);
  });

  it('publishes sub-workflows of every active caller and never archives a published one', () => {
    const state = new DoubleState({ idSeed: 12 });
    seedInstance(state, { workflows: 200 });

    for (const workflow of state.workflows.values()) {
      if (workflow.isArchived) expect(workflow.active).toBe(false);
      if (!workflow.active) continue;
      for (const node of workflow.nodes.filter((n) => n.type === 'n8n-nodes-base.executeWorkflow')) {
        const ref = (node.parameters as Obj).workflowId;
        const calleeId = typeof ref === 'string' ? ref : String((ref as Obj).value);
        expect(state.workflows.get(calleeId)?.active, `${workflow.name} calls ${calleeId}`).toBe(true);
      }
    }
  });

  it('gives the same instance for the same id seed and clock', () => {
    const clock = () => new Date('2026-01-02T03:04:05.678Z');
    const build = () => {
      const state = new DoubleState({ idSeed: 99, now: clock });
      seedInstance(state, { workflows: 40, rowsTotal: 300 });
      return JSON.stringify([
        [...state.workflows.values()],
        [...state.dataTables.values()],
        [...state.credentials.values()],
      ]);
    };

    expect(build()).toBe(build());
  });

  it('keeps everything in the personal project without a licence', () => {
    const state = new DoubleState({ idSeed: 13 });
    const seeded = seedInstance(state, { workflows: 30, rowsTotal: 30, licensed: false });

    const homes = new Set([
      ...[...state.workflows.values()].map((w) => w.projectId),
      ...[...state.credentials.values()].map((c) => c.projectId),
      ...[...state.dataTables.values()].map((t) => t.projectId),
    ]);
    expect(homes).toEqual(new Set([state.personalProjectId]));
    expect([...state.projects.values()].every((p) => p.type === 'personal')).toBe(true);
    expect([seeded.folders, seeded.variables]).toEqual([0, 0]);
  });
});

describe('seedViaApi', () => {
  const summary = (state: DoubleState) => ({
    workflows: [...state.workflows.values()]
      .map((w) => ({
        name: w.name,
        active: w.active,
        archived: w.isArchived,
        description: w.description,
        nodes: w.nodes.map((n) => n.name),
        tags: w.tagIds.map((id) => state.tags.get(id)?.name).sort(),
        project: state.projects.get(w.projectId)?.name,
        folder: w.parentFolderId ? state.folders.get(w.parentFolderId)?.name : null,
        callers: String(w.settings.callerIds ?? '')
          .split(',')
          .filter(Boolean).length,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    credentials: [...state.credentials.values()]
      .map((c) => [c.name, c.type, state.projects.get(c.projectId)?.name])
      .sort(),
    tables: [...state.dataTables.values()]
      .map((t) => [t.name, t.rows.length, t.columns.map((c) => c.type)])
      .sort(),
    projects: [...state.projects.values()]
      .filter((p) => p.type === 'team')
      .map((p) => [p.name, p.members.length]),
    folders: [...state.folders.values()].map((f) => f.name).sort(),
    variables: [...state.variables.values()].map((v) => [v.key, v.value]).sort(),
    users: [...state.users.values()].map((u) => u.email).sort(),
  });

  it('builds through accepted API requests alone the instance seedInstance builds', async () => {
    const viaApi = await double({ licensed: 'all' });
    const direct = new DoubleState();

    const result = await seedViaApi(viaApi.url, viaApi.apiKey, { workflows: 45, rowsTotal: 700 });
    seedInstance(direct, { workflows: 45, rowsTotal: 700 });

    expect(result.notes).toEqual([]);
    expect(result.licensed).toBe(true);
    expect(result.created).toMatchObject({
      workflows: 45,
      dataTableRows: 700,
      projects: 2,
      folders: 5,
      variables: 4,
    });
    expect(viaApi.requests.filter((r) => r.status >= 400)).toEqual([]);
    expect(summary(viaApi.state)).toEqual(summary(direct));
  });

  it('skips what a community instance refuses', async () => {
    const community = await double();

    const result = await seedViaApi(community.url, community.apiKey, { workflows: 12, rowsTotal: 10 });

    expect(result.licensed).toBe(false);
    expect(result.created).toMatchObject({ workflows: 12, projects: 0, folders: 0, variables: 0 });
    expect(
      [...community.state.workflows.values()].every((w) => w.projectId === community.state.personalProjectId),
    ).toBe(true);
  });
});

describe('main.ts', () => {
  it('prints {url, apiKey, pid} once it listens with the seeded instance', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const child = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      [
        join(root, 'test/double/main.ts'),
        '--port',
        '0',
        '--seed-workflows',
        '25',
        '--seed-rows',
        '50',
        '--licensed',
        'all',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = await new Promise<string[]>((resolve) => lines.once('line', (l) => resolve([l])));
      const ready = JSON.parse(line ?? '{}') as { url: string; apiKey: string; pid: number };

      const page = await fetch(`${ready.url}/api/v1/workflows?limit=250`, {
        headers: { 'X-N8N-API-KEY': ready.apiKey },
      });

      expect(Number.isInteger(ready.pid) && ready.pid > 0).toBe(true);
      expect(((await page.json()) as { data: unknown[] }).data).toHaveLength(25);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
