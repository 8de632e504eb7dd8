/**
 * The CLI end to end over real HTTP against the API double: what an operator types, what they see,
 * and the exit codes scripts rely on.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { backupArgs, type CliRun, restoreArgs, runCapturedCli } from './support/run-cli.js';

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCapturedCli(args, env);

let source: N8nDouble;
let store: string;
let env: Record<string, string>;

beforeEach(async () => {
  source = await startN8nDouble({ licensed: 'all' });
  store = await mkdtemp(join(tmpdir(), 'n8n-ark-cli-'));
  env = { SOURCE_KEY: source.apiKey };
});
afterEach(async () => {
  await source.close();
  await rm(store, { recursive: true, force: true });
});

async function backup(): Promise<string> {
  const run = await cli(backupArgs(source.url, store, '--json'), env);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { archive: string }).archive;
}

describe('n8n-ark backup', () => {
  it('backs up every seeded resource and prints the archive and counts as JSON', async () => {
    const seeded = seedInstance(source.state, { workflows: 40, rowsTotal: 1200 });

    const run = await cli(backupArgs(source.url, store, '--json'), env);

    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      archive: string;
      counts: Record<string, number>;
      skipped: unknown[];
      warnings: { node?: string }[];
    };
    expect(out.archive).toMatch(new RegExp(`^${store}/prod/.+\\.zip$`));
    expect(out.counts).toEqual({
      users: seeded.users,
      projects: seeded.projects,
      tags: seeded.tags,
      variables: seeded.variables,
      credentials: seeded.credentials,
      dataTables: seeded.dataTables,
      dataTableRows: seeded.dataTableRows,
      workflows: seeded.workflows,
      workflowHistory: [...source.state.history.values()].reduce((n, v) => n + Math.min(v.length, 10), 0),
      folders: seeded.folders,
    });
    expect(out.skipped).toEqual([]);
    expect(out.warnings.map((w) => w.node)).toContain('Call ghost');
    expect(run.stdout + run.stderr).not.toContain(source.apiKey);
    expect(await readFile(out.archive)).not.toContain(Buffer.from(source.apiKey));
  });

  it('completes with exactly the seeded counts under 10% injected 429s, 500s and connection resets', async () => {
    const seeded = seedInstance(source.state, { workflows: 120, rowsTotal: 3000 });
    Object.assign(source.faults, {
      rate429: 0.04,
      rate500: 0.03,
      rateReset: 0.03,
      retryAfterSeconds: 0,
      readsOnly: true,
      seed: 7,
    });

    const run = await cli(backupArgs(source.url, store, '--json'), env);

    expect(run.code, run.stderr).toBe(0);
    const counts = (JSON.parse(run.stdout) as { counts: Record<string, number> }).counts;
    expect(counts.workflows).toBe(seeded.workflows);
    expect(counts.dataTableRows).toBe(seeded.dataTableRows);
    const faulted = source.requests.filter(
      (r) => r.status === 429 || r.status === 500 || r.status === -1,
    ).length;
    expect(faulted).toBeGreaterThan(5);
  });

  it('records unlicensed resources as skipped on a community instance, exit 0', async () => {
    source.setLicensed([]);
    seedInstance(source.state, { workflows: 5 });

    const run = await cli(backupArgs(source.url, store), env);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/skipped: variables — variables needs a licence for feat:variables/);
    expect(run.stdout).toMatch(/skipped: projects — projects needs a licence for feat:projectRole:admin/);
  });

  it('--timeout: a slow instance makes it stop at the deadline with exit 6, leaving no archive and no partial file; run again without it, it completes', async () => {
    // Prepare: every answer takes 40 ms, so the whole backup needs seconds; the deadline is 1.2 s.
    seedInstance(source.state, { workflows: 40, rowsTotal: 1200 });
    source.faults.latencyMs = 40;
    const started = Date.now();

    // Act
    const stopped = await cli(backupArgs(source.url, store, '--timeout', '0.02'), env);
    const stoppedAfterMs = Date.now() - started;
    const stoppedRequests = source.requests.length;
    const filesLeft = await readdir(store, { recursive: true });
    const finished = await cli(backupArgs(source.url, store, '--json'), env);

    // Assess
    expect(stopped.code, stopped.stderr).toBe(6);
    expect(stopped.stderr).toMatch(
      /^error: the backup stopped at its --timeout 0\.02 minute\(s\) before it was done; no archive was published/,
    );
    expect(stoppedAfterMs).toBeLessThan(1200 + 1500);
    expect(filesLeft).not.toContainEqual(expect.stringMatching(/\.zip|partial/));
    expect(finished.code, finished.stderr).toBe(0);
    expect(stoppedRequests).toBeLessThan(source.requests.length - stoppedRequests);
  });

  it('--timeout long enough: the backup completes as without it', async () => {
    const seeded = seedInstance(source.state, { workflows: 10 });

    const run = await cli(backupArgs(source.url, store, '--json', '--timeout', '5'), env);

    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { counts: { workflows: number } }).counts.workflows).toBe(
      seeded.workflows,
    );
  });

  it('--timeout that is not a number of minutes: exit 2 naming the flag, before anything is read', async () => {
    const run = await cli(backupArgs(source.url, store, '--timeout', '0'), env);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: --timeout must be a number of minutes above 0, not "0"\n');
    expect(source.requests.length).toBe(0);
  });
});

describe('exit codes and messages', () => {
  it('2 when no API key is given, saying how to give one', async () => {
    const run = await cli(['backup', '--url', source.url, '--store', store], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/No API key: pass --api-key-env <VAR>/);
  });

  it('2 for a URL that is not a URL', async () => {
    const run = await cli(['backup', '--url', 'n8n.example.com', '--api-key-env', 'SOURCE_KEY'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--url "n8n.example.com" is not a URL/);
  });

  it('3 for a wrong key, naming the URL and never the key', async () => {
    const run = await cli(backupArgs(source.url, store), { SOURCE_KEY: 'wrong-key-123' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`n8n at ${source.url} rejected the API key`);
    expect(run.stderr).not.toContain('wrong-key-123');
    expect(await readdir(store)).toEqual([]);
  });

  it('3 for a key without workflow:list, naming the scope', async () => {
    source.addApiKey('limited', ['tag:list']);
    const run = await cli(backupArgs(source.url, store), { SOURCE_KEY: 'limited' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/lacks the scope workflow:list/);
  });

  it('3 for an address where nothing listens', async () => {
    const closed = await startN8nDouble();
    await closed.close();
    const run = await cli(
      ['backup', '--url', closed.url, '--api-key-env', 'SOURCE_KEY', '--store', store],
      env,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/could not reach n8n at/);
  });

  it('5 when the store folder cannot be written, leaving no partial file', async () => {
    const readOnly = join(store, 'ro');
    await mkdir(readOnly);
    await chmod(readOnly, 0o500);
    const run = await cli(
      ['backup', '--url', source.url, '--api-key-env', 'SOURCE_KEY', '--store', readOnly],
      env,
    );
    await chmod(readOnly, 0o700);
    // root ignores permission bits; then the write succeeds and there is nothing to refuse.
    if (process.getuid?.() === 0) expect(run.code).toBe(0);
    else {
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(/could not write the archive/);
    }
  });
});

describe('n8n-ark verify', () => {
  it('passes an intact archive and fails, naming the entry, when one byte of it is flipped', async () => {
    seedInstance(source.state, { workflows: 10, rowsTotal: 100 });
    const archive = await backup();
    expect((await cli(['verify', archive])).code).toBe(0);

    const bytes = await readFile(archive);
    const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
    const entry = await new Promise<yauzl.Entry>((resolve) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === 'workflows.ndjson' ? resolve(e) : zip.readEntry()));
      zip.readEntry();
    });
    const dataStart =
      entry.relativeOffsetOfLocalHeader +
      30 +
      bytes.readUInt16LE(entry.relativeOffsetOfLocalHeader + 26) +
      bytes.readUInt16LE(entry.relativeOffsetOfLocalHeader + 28);
    const at = dataStart + Math.floor(entry.compressedSize / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(archive, bytes);

    const run = await cli(['verify', archive, '--json']);
    expect(run.code).toBe(4);
    expect(
      (JSON.parse(run.stdout) as { problems: { entry: string }[] }).problems.map((p) => p.entry),
    ).toContain('workflows.ndjson');
  });

  it('exits 5 for an archive that does not exist', async () => {
    const run = await cli(['verify', join(store, 'nope.zip')]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/no such file/);
  });
});

describe('n8n-ark restore refuses bad input without writing', () => {
  it('a corrupted archive: refused before the first write to the target', async () => {
    seedInstance(source.state, { workflows: 10 });
    const archive = await backup();
    const bytes = await readFile(archive);
    await writeFile(archive, bytes.subarray(0, bytes.length - 200));
    const target = await startN8nDouble({ licensed: 'all' });
    try {
      const run = await cli(restoreArgs(archive, target.url), {
        TARGET_KEY: target.apiKey,
      });
      expect(run.code).toBe(4);
      expect(target.writeCount()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('a key without workflow:create: refused with the missing scopes named, target untouched', async () => {
    seedInstance(source.state, { workflows: 10 });
    const archive = await backup();
    const target = await startN8nDouble({ licensed: 'all' });
    try {
      const scopes = [
        'tag:list',
        'tag:create',
        'workflowTags:update',
        'workflow:list',
        'workflow:read',
        'workflow:update',
        'workflow:activate',
      ];
      target.addApiKey('restricted', scopes);
      const run = await cli(restoreArgs(archive, target.url), {
        TARGET_KEY: 'restricted',
      });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/workflow:create/);
      expect(run.stderr).toMatch(/nothing was written/);
      expect(target.writeCount()).toBe(0);
    } finally {
      await target.close();
    }
  });
  it('--timeout: stops cleanly at the next object with exit 6, and the same command without it finishes the restore', async () => {
    seedInstance(source.state, { workflows: 40 });
    const archive = await backup();
    const target = await startN8nDouble({ licensed: 'all' });
    try {
      const stopped = await cli(restoreArgs(archive, target.url, '--timeout', '0.00001'), {
        TARGET_KEY: target.apiKey,
      });
      const finished = await cli(restoreArgs(archive, target.url), { TARGET_KEY: target.apiKey });

      expect(stopped.code).toBe(6);
      expect(stopped.stderr).toMatch(/stopped at its --timeout 0\.00001 minute\(s\) before it was done/);
      expect(finished.code).toBe(0);
      const names = [...target.state.workflows.values()].map((w) => w.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names.length).toBe(source.state.workflows.size);
    } finally {
      await target.close();
    }
  });

  it('--timeout that is not a number of minutes: exit 2 naming the flag', async () => {
    const run = await cli(['restore', 'any.zip', '--url', source.url, '--timeout', 'soon'], env);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: --timeout must be a number of minutes above 0, not "soon"\n');
  });

  it('an unknown --on-conflict policy: exit 2, the core option worded with its flag', async () => {
    const run = await cli(['restore', 'any.zip', '--url', source.url, '--on-conflict', 'merge'], env);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: --on-conflict must be one of skip, overwrite, rename, not "merge"\n');
  });

  it('a --credential-secrets file that is not JSON: exit 2, naming the flag and the file, never its text', async () => {
    seedInstance(source.state, { workflows: 2 });
    const archive = await backup();
    const secretsFile = join(store, 'secrets.json');
    await writeFile(secretsFile, '{"Stripe": {"apiKey": sk_live_do_not_print}}');
    const target = await startN8nDouble({ licensed: 'all' });
    try {
      const run = await cli(restoreArgs(archive, target.url, '--credential-secrets', secretsFile), {
        TARGET_KEY: target.apiKey,
      });

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `error: --credential-secrets ${secretsFile}: cannot read it as JSON (SyntaxError)\n`,
      );
      expect(run.stderr).not.toContain('sk_live');
      expect(target.writeCount()).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe('n8n-ark restore --keep-workflow-ids', () => {
  it('recreates every workflow under its archive id through package import; diff finds no difference', async () => {
    seedInstance(source.state, { workflows: 30, rowsTotal: 300 });
    const archive = await backup();
    const target = await startN8nDouble({ licensed: 'all' });
    // Accounts are invited by the operator (n8n-ark cannot create users), as in the demo.
    for (const user of source.state.users.values())
      if (user.role !== 'global:owner') target.state.createUser({ ...user });
    try {
      const targetEnv = { TARGET_KEY: target.apiKey };
      const run = await cli(restoreArgs(archive, target.url, '--keep-workflow-ids', '--json'), targetEnv);

      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as {
        created: { workflows: number };
        idMap: { workflows: object };
      };
      expect(report.created.workflows).toBe(30);
      expect([...target.state.workflows.keys()].sort()).toEqual([...source.state.workflows.keys()].sort());
      expect(Object.entries(report.idMap.workflows).every(([from, to]) => from === to)).toBe(true);
      expect(target.requests.filter((r) => r.method === 'POST' && r.path === '/workflows')).toEqual([]);
      const diff = await cli(
        ['diff', archive, '--url', target.url, '--api-key-env', 'TARGET_KEY'],
        targetEnv,
      );
      expect(diff.code, diff.stdout).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('a key without workflow:import: refused with the scope named, target untouched', async () => {
    seedInstance(source.state, { workflows: 5 });
    const archive = await backup();
    const target = await startN8nDouble({ licensed: 'all' });
    try {
      const { ALL_SCOPES } = await import('../double/scopes.js');
      target.addApiKey(
        'no-import',
        ALL_SCOPES.filter((scope) => scope !== 'workflow:import'),
      );
      const run = await cli(restoreArgs(archive, target.url, '--keep-workflow-ids'), {
        TARGET_KEY: 'no-import',
      });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/workflow:import/);
      expect(target.writeCount()).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe('n8n-ark list and inspect', () => {
  it('lists archives newest first and shows a manifest', async () => {
    seedInstance(source.state, { workflows: 3 });
    const first = await backup();
    const second = await backup();

    const list = await cli(['list', '--store', store, '--json']);
    const inspect = await cli(['inspect', second]);

    expect((JSON.parse(list.stdout) as { location: string }[]).map((a) => a.location)).toEqual([
      second,
      first,
    ]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/format\s+n8n-ark-archive v1/);
    expect(inspect.stdout).toMatch(/workflows\.ndjson\s+3/);
  });

  it("shows the saved versions an archive holds per workflow, lists one workflow's, and extract writes one out", async () => {
    seedInstance(source.state, { workflows: 3 });
    const [workflow] = [...source.state.workflows.values()].filter((w) => !w.isArchived);
    if (!workflow) throw new Error('the seed made no workflow');
    const noOp = (name: string) => ({
      name,
      type: 'n8n-nodes-base.noOp',
      typeVersion: 1,
      position: [400, 0],
      parameters: {},
    });
    source.state.updateWorkflow(workflow, { ...workflow, nodes: [...workflow.nodes, noOp('Sooner')] });
    const first = { versionId: workflow.versionId, nodes: structuredClone(workflow.nodes) };
    source.state.updateWorkflow(workflow, { ...workflow, nodes: [...workflow.nodes, noOp('Later')] });
    const saved = source.state.history.get(workflow.id)?.length ?? 0;
    const archive = await backup();
    const out = join(store, 'old-version');

    const inspect = await cli(['inspect', archive]);
    const listed = await cli(['inspect', archive, '--workflow', workflow.id, '--versions', '--json']);
    const written = await cli([
      'extract',
      archive,
      '--workflow',
      workflow.id,
      '--version',
      first.versionId,
      '--out',
      out,
    ]);
    const unknown = await cli([
      'extract',
      archive,
      '--workflow',
      workflow.id,
      '--version',
      'nope',
      '--out',
      out,
    ]);

    expect(inspect.stdout).toMatch(/workflow-history\.ndjson/);
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(inspect.stdout).toMatch(new RegExp(`${workflow.id}\\s+${Math.min(saved, 10)}\\b`));
    const versions = (JSON.parse(listed.stdout) as { versions: { versionId: string }[] }).versions;
    expect(versions).toHaveLength(Math.min(saved, 10));
    expect(versions[0]?.versionId).toBe(workflow.versionId);
    expect(versions[1]).toEqual({
      versionId: first.versionId,
      createdAt: expect.any(String),
      authors: expect.any(String),
      name: null,
    });
    expect(written.code, written.stderr).toBe(0);
    const [file] = await readdir(out);
    expect(file).toContain(first.versionId);
    expect(JSON.parse(await readFile(join(out, file ?? ''), 'utf8'))).toMatchObject({
      name: workflow.name,
      nodes: first.nodes,
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/holds no such version/);
  });

  it('--help teaches: commands, exit codes and examples', async () => {
    const top = await cli(['--help']);
    const backupHelp = await cli(['backup', '--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit codes:/);
    expect(backupHelp.stdout).toMatch(/Examples:/);
    expect(backupHelp.stdout).toMatch(/--api-key-env <VAR>/);
  });
});

describe('instance names, one rule for every command, judged before any path', () => {
  /** What a folder holds, with each entry's mode: to tell that nothing was written or changed. */
  async function contentsOf(folder: string): Promise<string[]> {
    const names = await readdir(folder);
    return Promise.all(
      names.sort().map(async (n) => `${n} ${(await stat(join(folder, n))).mode.toString(8)}`),
    );
  }

  it.each(['../../x', '..', '../escaped', 'a/b', '.', '.hidden', ''])(
    'migrate --instance %j exits 2 and writes nothing, in the store or beside it',
    async (name) => {
      // Prepare
      const target = await startN8nDouble({ licensed: 'all' });
      const inner = join(store, 'inner', 'store');
      await mkdir(inner, { recursive: true });
      const before = {
        store: await contentsOf(inner),
        parent: await contentsOf(join(store, 'inner')),
        top: await contentsOf(store),
      };
      const parentMode = (await stat(join(store, 'inner'))).mode;
      try {
        // Act
        const run = await cli(
          [
            'migrate',
            ...['--from-url', source.url, '--from-key-env', 'SOURCE_KEY'],
            ...['--to-url', target.url, '--to-key-env', 'TARGET_KEY'],
            ...['--store', inner, '--instance', name],
          ],
          { SOURCE_KEY: source.apiKey, TARGET_KEY: target.apiKey },
        );

        // Assess
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toMatch(/^error: --instance .*use letters, digits/);
        expect(await contentsOf(inner)).toEqual(before.store);
        expect(await contentsOf(join(store, 'inner'))).toEqual(before.parent);
        expect(await contentsOf(store)).toEqual(before.top);
        expect((await stat(join(store, 'inner'))).mode).toBe(parentMode);
        expect(target.writeCount()).toBe(0);
      } finally {
        await target.close();
      }
    },
  );

  it('migrate refuses a source whose host makes no instance name, before anything is written', async () => {
    const run = await cli(
      [
        'migrate',
        '--from-url',
        'http://[::1]:1',
        '--from-key-env',
        'K',
        '--to-url',
        'http://127.0.0.1:1',
        '--to-key-env',
        'K',
        '--store',
        store,
      ],
      { K: 'key' },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--instance "\[::1\]-1": use letters.*\(the default, from the host of http:\/\/\[::1\]:1: give --instance\)/,
    );
    expect(await readdir(store)).toEqual([]);
  });

  it.each([
    // The later --instance is the one that counts.
    ['backup', (name: string) => backupArgs(source.url, store, '--instance', name)],
    ['list', (name: string) => ['list', '--store', store, '--instance', name]],
    ['prune', (name: string) => ['prune', '--store', store, '--instance', name, '--keep-last', '1']],
    [
      'drill',
      (name: string) => [
        'drill',
        '--archive',
        'newest',
        '--store',
        store,
        '--instance',
        name,
        '--url',
        source.url,
        '--api-key-env',
        'SOURCE_KEY',
      ],
    ],
  ] as const)('%s --instance ../../x exits 2 naming the rule, and writes nothing', async (_command, args) => {
    const run = await cli([...args('../../x')], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--instance "\.\.\/\.\.\/x": use letters, digits/);
    expect(await readdir(store)).toEqual([]);
  });
});

describe('the API key in transit and at rest', () => {
  const remote = [
    '--url',
    'http://192.0.2.1:9',
    '--api-key-env',
    'K',
    '--retries',
    '0',
    '--request-timeout',
    '1',
  ];

  it('warns of http:// to another machine before the first request, and --require-https refuses it', async () => {
    const warned = await cli(['doctor', ...remote], { K: 'key' });
    const refused = await cli(['doctor', ...remote, '--require-https'], { K: 'key' });
    const local = await cli(['doctor', '--url', source.url, '--api-key-env', 'K', '--require-https'], {
      K: source.apiKey,
    });

    expect(warned.code).toBe(3);
    expect(warned.stderr).toMatch(
      /^warning: --url http:\/\/192\.0\.2\.1:9 is plain http to another machine: the API key crosses the network in clear/,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: --url http:\/\/192\.0\.2\.1:9 is plain http to another machine/);
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).not.toContain('plain http');
  });

  it('warns of an API key file other users may read', async () => {
    const file = join(store, 'key');
    await writeFile(file, source.apiKey, { mode: 0o644 });
    await chmod(file, 0o644);

    const run = await cli(['doctor', '--url', source.url, '--api-key-file', file], {});

    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `warning: the API key file ${file} can be read by other users (mode 644); chmod 600 it`,
    );
  });
});
