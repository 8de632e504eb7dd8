import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { freePort } from '../../support/free-port.js';

/** A moto_server (local S3 and Secrets Manager) on a free loopback port, stopped by PID. */
export interface Moto {
  endpoint: string;
  s3: S3Client;
  secrets: SecretsManagerClient;
  /** Environment for code that builds its own SDK clients (handlers, the CLI). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const VENV_MOTO = join(import.meta.dirname, '..', '..', '..', '.cache', 'moto-venv', 'bin', 'moto_server');

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The moto_server on PATH, else the one `npm test` installed into .cache/moto-venv
 * (scripts/moto-setup.sh looks in the same order).
 */
export function motoServer(): string {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'moto_server'))
    .find(executable);
  if (onPath) return onPath;
  if (executable(VENV_MOTO)) return VENV_MOTO;
  throw new Error(
    'moto_server (moto 5.2.1) is neither on PATH nor in .cache/moto-venv: `npm test` installs it (scripts/moto-setup.sh) or says how',
  );
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(motoServer(), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok || response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const region = 'us-east-1';
  return {
    endpoint,
    s3: new S3Client({ endpoint, region, credentials, forcePathStyle: true }),
    secrets: new SecretsManagerClient({ endpoint, region, credentials }),
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      N8N_ARK_S3_FORCE_PATH_STYLE: 'true',
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
