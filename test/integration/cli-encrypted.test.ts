/**
 * Encrypted archives end to end, on the API double seeded as the demo instance (names, node
 * parameters, rows and e-mail addresses worth hiding): `backup --encrypt --recipient` writes a
 * `.zip.age` in which none of them appears; verify passes with the identity, refuses without it or
 * with another (exit 2), fails authentication on a flipped byte (exit 4); restore with the identity
 * gives a target `diff` finds equal to the archive; the next backup reuses the encrypted archive;
 * and no key or passphrase reaches any output or the ledger.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_TARGET_TAG } from '../../functions/core/drill/scratch.js';
import type { JsonObject } from '../../functions/core/n8n-types.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { BUILT_CLI } from './support/built-cli.js';
import { backupArgs, type CliRun, restoreArgs, runCapturedCli } from './support/run-cli.js';
import { freshTargetFor } from './support/targets.js';

let dir: string;
let source: N8nDouble;
let target: N8nDouble;
let identity: string;
let recipient: string;
let identityFile: string;
let otherIdentityFile: string;
const PASSPHRASE = 'correct horse battery staple 4711';
const runs: CliRun[] = [];

const cli = async (args: string[]) => {
  const run = await runCapturedCli(args, {
    SOURCE_KEY: source.apiKey,
    TARGET_KEY: target.apiKey,
    ARK_PASSPHRASE: PASSPHRASE,
  });
  runs.push(run);
  return run;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-encrypted-'));
  source = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 40, rowsTotal: 3_000 });
  target = await freshTargetFor(source);
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  identityFile = join(dir, 'offline.key');
  await writeFile(identityFile, `# created: now\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600 });
  otherIdentityFile = join(dir, 'other.key');
  await writeFile(otherIdentityFile, `${await generateX25519Identity()}\n`, { mode: 0o600 });
  await chmod(identityFile, 0o600);
});

afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** What the demo instance holds that nobody without the key may read. */
function hiddenValues(): { what: string; value: string }[] {
  const state = source.state;
  const values: { what: string; value: string }[] = [];
  for (const w of state.workflows.values()) {
    values.push({ what: 'workflow name', value: w.name });
    for (const node of w.nodes)
      for (const text of strings(node.parameters)) values.push({ what: 'node parameter', value: text });
  }
  for (const table of state.dataTables.values())
    for (const row of table.rows.slice(0, 200))
      for (const text of strings(row as unknown as JsonObject))
        values.push({ what: 'row value', value: text });
  for (const user of state.users.values()) values.push({ what: 'e-mail address', value: user.email });
  // Short texts could occur in any bytes by chance; these are long enough that they cannot.
  const long = values.filter((v) => Buffer.byteLength(v.value) >= 8);
  return [...new Map(long.map((v) => [v.value, v])).values()];
}

/** Every id, name and credential type the source's objects have: what a ledger may name. */
function idsAndNames(): Set<string> {
  const state = source.state;
  const named = new Set<string>();
  const add = (...values: (string | null | undefined)[]) => {
    for (const value of values) if (value) named.add(value);
  };
  for (const w of state.workflows.values()) add(w.id, w.name);
  for (const t of state.dataTables.values()) add(t.id, t.name);
  for (const c of state.credentials.values()) add(c.id, c.name, c.type);
  for (const p of state.projects.values()) add(p.id, p.name);
  for (const f of state.folders.values()) add(f.id, f.name);
  for (const t of state.tags.values()) add(t.id, t.name);
  return named;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

let archive: string;

describe('an archive encrypted to a recipient whose identity is kept offline', () => {
  it('is a .zip.age in which no workflow name, node parameter, row value or e-mail address appears', async () => {
    const run = await cli(
      backupArgs(source.url, join(dir, 'store'), '--encrypt', '--recipient', recipient, '--json'),
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { archive: string; encrypted?: boolean };
    archive = result.archive;
    expect(archive).toMatch(/\.zip\.age$/);
    expect(result.encrypted).toBe(true);

    const bytes = await readFile(archive);
    expect(bytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    const hidden = hiddenValues();
    expect(hidden.map((h) => h.what)).toEqual(
      expect.arrayContaining(['workflow name', 'node parameter', 'row value', 'e-mail address']),
    );
    const found = hidden.filter((h) => bytes.includes(Buffer.from(h.value)));
    expect(found).toEqual([]);
    // Nor the zip's own structure: entry names, headers.
    for (const marker of ['workflows.ndjson', 'manifest.json', 'PK\x03\x04', 'PK\x01\x02'])
      expect(bytes.includes(Buffer.from(marker, 'latin1'))).toBe(false);

    // The control: age's own decrypter (not n8n-ark's reader) turns it into the zip that holds them.
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    const zip = Buffer.from(await decrypter.decrypt(new Uint8Array(bytes)));
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.includes(Buffer.from('workflows.ndjson'))).toBe(true);
  });

  it('lists as encrypted without any key, and inspect without one says how it is encrypted (exit 2)', async () => {
    const list = await cli(['list', '--store', join(dir, 'store'), '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ location: archive, encrypted: true }),
    ]);
    const table = await cli(['list', '--store', join(dir, 'store')]);
    expect(table.stdout).toMatch(/encrypted[\s\S]*yes \(age\)/);

    const inspect = await cli(['inspect', archive]);
    expect(inspect.code).toBe(2);
    expect(inspect.stderr).toMatch(
      /encrypted \(age, to 1 X25519 recipient\) and no key was given: give --identity-file/,
    );
  });

  it('verifies with the identity; without it, or with another, exits 2; a flipped byte fails authentication', async () => {
    const ok = await cli(['verify', archive, '--identity-file', identityFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK: /);

    const none = await cli(['verify', archive]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no key was given/);
    const other = await cli(['verify', archive, '--identity-file', otherIdentityFile]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /none of the keys given opens the archive \(it is encrypted to 1 X25519 recipient\)/,
    );

    const bytes = await readFile(archive);
    const flipped = join(dir, 'flipped.zip.age');
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8((bytes.readUInt8(middle) ^ 0x01) & 0xff, middle);
    await writeFile(flipped, bytes);
    const altered = await cli(['verify', flipped, '--identity-file', identityFile]);
    expect(altered.code).toBe(4);
    expect(altered.stdout).toMatch(/CORRUPT[\s\S]*fails authentication at chunk \d+/);

    const cut = join(dir, 'cut.zip.age');
    await writeFile(cut, (await readFile(archive)).subarray(0, 22 + 200 + 65_552));
    const truncated = await cli(['verify', cut, '--identity-file', identityFile]);
    expect(truncated.code).toBe(4);
  });

  it('restores with the identity into a target that diff finds equal to the archive', async () => {
    const ledger = join(dir, 'restore.ledger.json');
    const restore = await cli(
      restoreArgs(archive, target.url, '--identity-file', identityFile, '--ledger', ledger, '--json'),
    );
    expect(restore.code, restore.stderr).toBe(0);
    const diff = await cli([
      'diff',
      archive,
      '--url',
      target.url,
      '--api-key-env',
      'TARGET_KEY',
      '--identity-file',
      identityFile,
      '--ignore-users',
    ]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/No differences/);

    // The ledger holds ids and names, never bodies, node parameters or rows (docs/ARCHIVE-FORMAT.md).
    // (A node parameter that is itself an object's id, name or credential type is named as that
    // object; a reference to no object is named by its id, which has n8n's id shape.)
    const text = await readFile(ledger, 'utf8');
    const named = idsAndNames();
    const leaked = hiddenValues()
      .filter((h) => h.what === 'node parameter' || h.what === 'row value')
      .filter((h) => !named.has(h.value) && !/^[A-Za-z0-9]{16}$/.test(h.value))
      .filter((h) => text.includes(h.value));
    expect(leaked).toEqual([]);
  });

  it('an incremental backup given the identity reuses the encrypted previous archive', async () => {
    const run = await cli(
      backupArgs(
        source.url,
        join(dir, 'store'),
        '--encrypt',
        '--recipient',
        recipient,
        '--identity-file',
        identityFile,
        '--json',
      ),
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      archive: string;
      incremental?: { previousArchive: string; workflowsReused: number };
    };
    expect(result.archive).toMatch(/\.zip\.age$/);
    expect(result.incremental?.previousArchive).toBe(archive);
    expect(result.incremental?.workflowsReused).toBe(source.state.workflows.size);

    // Without the identity the previous archive cannot be read: every workflow is read afresh.
    const blind = await cli(
      backupArgs(source.url, join(dir, 'store'), '--encrypt', '--recipient', recipient, '--json'),
    );
    expect(blind.code, blind.stderr).toBe(0);
    const blindResult = JSON.parse(blind.stdout) as {
      incremental?: unknown;
      warnings: { code: string; message: string }[];
    };
    expect(blindResult.incremental).toBeUndefined();
    expect(blindResult.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: 'previous-archive-unusable',
          message: expect.stringMatching(/no key was given/),
        }),
      ]),
    );
  });

  it('prunes without any key, checking the newest encrypted archive as far as its encryption shows', async () => {
    const prune = await cli([
      'prune',
      '--store',
      join(dir, 'store'),
      '--instance',
      'prod',
      '--keep-last',
      '1',
      '--dry-run',
      '--json',
    ]);
    expect(prune.code, prune.stderr).toBe(0);
    const report = JSON.parse(prune.stdout) as { newestVerifiedWithoutKey: boolean; deleted: unknown[] };
    expect(report.newestVerifiedWithoutKey).toBe(true);
    expect(report.deleted).toHaveLength(2);
  });
});

describe('an archive encrypted with a passphrase', () => {
  it('backs up with --passphrase-env and opens with --passphrase-file; a wrong passphrase exits 2', async () => {
    const backup = await cli(
      backupArgs(source.url, join(dir, 'pass'), '--encrypt', '--passphrase-env', 'ARK_PASSPHRASE', '--json'),
    );
    expect(backup.code, backup.stderr).toBe(0);
    const location = (JSON.parse(backup.stdout) as { archive: string }).archive;
    expect((await readFile(location)).toString('latin1', 0, 80)).toMatch(
      /^age-encryption\.org\/v1\n-> scrypt /,
    );

    const file = join(dir, 'passphrase.txt');
    await writeFile(file, `${PASSPHRASE}\n`, { mode: 0o600 });
    const ok = await cli(['verify', location, '--passphrase-file', file, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const wrongFile = join(dir, 'wrong.txt');
    await writeFile(wrongFile, 'not the passphrase\n', { mode: 0o600 });
    const wrong = await cli(['verify', location, '--passphrase-file', wrongFile]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/it is encrypted to a passphrase \(scrypt, work factor 18\)/);
  });

  it('refuses --encrypt without a key, and a passphrase beside recipients, before anything is written', async () => {
    const store = join(dir, 'refused');
    const none = await cli(backupArgs(source.url, store, '--encrypt'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--encrypt needs a key/);
    const both = await cli(
      backupArgs(
        source.url,
        store,
        '--encrypt',
        '--recipient',
        recipient,
        '--passphrase-env',
        'ARK_PASSPHRASE',
      ),
    );
    expect(both.code).toBe(2);
    const bad = await cli(backupArgs(source.url, store, '--encrypt', '--recipient', 'age1notakey'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an age recipient/);
    await expect(readdir(store)).rejects.toThrow(/ENOENT/);
  });
});

describe('the other readers and writers', () => {
  it('extract writes a workflow out of the encrypted archive with the identity, and refuses without it', async () => {
    const out = join(dir, 'extracted');
    const name = [...source.state.workflows.values()][1]?.name ?? '';
    const refused = await cli(['extract', archive, '--workflow', name, '--out', out]);
    expect(refused.code).toBe(2);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    const run = await cli([
      'extract',
      archive,
      '--workflow',
      name,
      '--out',
      out,
      '--identity-file',
      identityFile,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(out)).toHaveLength(1);
  });

  it('migrate keeps its intermediate archive encrypted and restores from it', async () => {
    const into = await freshTargetFor(source);
    try {
      const store = join(dir, 'migrate');
      const migrate = (...flags: string[]) =>
        runCapturedCli(
          [
            'migrate',
            '--from-url',
            source.url,
            '--from-key-env',
            'SOURCE_KEY',
            '--to-url',
            into.url,
            '--to-key-env',
            'TARGET_KEY',
            '--encrypt',
            ...flags,
          ],
          { SOURCE_KEY: source.apiKey, TARGET_KEY: into.apiKey },
        );
      const run = await migrate(
        '--store',
        store,
        '--identity-file',
        identityFile,
        '--ledger',
        join(dir, 'migrate.ledger.json'),
        '--json',
      );
      runs.push(run);
      expect(run.code, run.stderr).toBe(0);
      const [instance] = await readdir(store);
      expect(await readdir(join(store, instance ?? ''))).toEqual([expect.stringMatching(/\.zip\.age$/)]);
      const sealedOnly = await migrate('--recipient', recipient);
      runs.push(sealedOnly);
      expect(sealedOnly.code).toBe(2);
      expect(sealedOnly.stderr).toMatch(/migrate restores from the archive it writes/);
    } finally {
      await into.close();
    }
  });

  it('drill restores the newest encrypted archive into a marked scratch instance and writes its report beside it', async () => {
    const scratch = await freshTargetFor(source);
    try {
      scratch.state.createTag(DRILL_TARGET_TAG);
      const drill = (...flags: string[]) =>
        runCapturedCli(
          [
            'drill',
            '--url',
            scratch.url,
            '--api-key-env',
            'SCRATCH_KEY',
            '--archive',
            'newest',
            '--store',
            join(dir, 'store'),
            '--instance',
            'prod',
            '--json',
            ...flags,
          ],
          { SCRATCH_KEY: scratch.apiKey },
        );
      const refused = await drill();
      runs.push(refused);
      expect(refused.code).toBe(2);
      expect(scratch.state.workflows.size).toBe(0);
      const run = await drill('--identity-file', identityFile);
      runs.push(run);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const report = JSON.parse(run.stdout) as { verdict: string; files: { html: string } };
      expect(report.verdict).toBe('pass');
      expect(report.files.html).toMatch(/\.drill-[^/]+\.html$/);
      expect(report.files.html).not.toMatch(/\.zip/);
    } finally {
      await scratch.close();
    }
  });

  it('no key or passphrase is in the process title while a reader runs', async () => {
    const file = join(dir, 'title-passphrase.txt');
    await writeFile(file, `${PASSPHRASE}\n`, { mode: 0o600 });
    const [sealed] = (await readdir(join(dir, 'pass', 'prod'))).filter((n) => n.endsWith('.zip.age'));
    const child = spawn(
      BUILT_CLI,
      ['verify', join(dir, 'pass', 'prod', sealed ?? ''), '--passphrase-file', file],
      {
        env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
        stdio: 'ignore',
      },
    );
    const titles = new Set<string>();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let running = true;
    void exited.then(() => {
      running = false;
    });
    while (running) {
      for (const proc of ['cmdline', 'comm'])
        await readFile(`/proc/${child.pid}/${proc}`, 'utf8').then(
          (text) => titles.add(text.replaceAll('\0', ' ')),
          () => undefined,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect([...titles].some((t) => t.includes('--passphrase-file'))).toBe(true);
    expect([...titles].filter((t) => t.includes(PASSPHRASE) || t.includes(identity))).toEqual([]);
  });
});

describe('keys and passphrases', () => {
  it('never appear in anything the CLI printed', () => {
    expect(runs.length).toBeGreaterThan(10);
    for (const run of runs) {
      for (const secret of [identity, identity.toLowerCase(), PASSPHRASE]) {
        expect(run.stdout).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
      }
    }
  });
});
