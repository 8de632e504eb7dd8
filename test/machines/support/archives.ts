/**
 * What the machine tests ask of the archives the machines leave in moto's bucket: `n8n-ark verify`
 * and `n8n-ark diff` as an operator runs them (the built CLI, in a process of its own), and the
 * bucket's housekeeping between tests (archives hidden so the next backup is a full one, uploads
 * left in progress).
 */
import {
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { N8nDouble } from '../../double/server.js';
import { type ChildRun, runBuiltCli } from '../../integration/support/built-cli.js';
import type { World } from './world.js';

const cliEnv = (world: World) => ({ ...world.moto.env, N8N_ARK_TEST_KEY: '' });

export function verifyWithCli(world: World, archive: string): Promise<ChildRun> {
  return runBuiltCli(['verify', archive], cliEnv(world));
}

/** `n8n-ark diff <archive> --url <instance>`: exit 0 when the instance is what the archive holds. */
export function diffWithCli(
  world: World,
  archive: string,
  instance: N8nDouble,
  ...flags: string[]
): Promise<ChildRun> {
  return runBuiltCli(
    ['diff', archive, '--url', instance.url, '--api-key-env', 'N8N_ARK_TEST_KEY', ...flags],
    {
      ...cliEnv(world),
      N8N_ARK_TEST_KEY: instance.apiKey,
    },
  );
}

/** Hides every archive of `instance` (delete markers): the next backup finds none to build on. */
export async function hideArchives(world: World, instance: string): Promise<void> {
  const listed = await world.moto.s3.send(
    new ListObjectsV2Command({ Bucket: world.bucket, Prefix: `archives/${instance}/` }),
  );
  for (const object of listed.Contents ?? [])
    if (object.Key?.endsWith('.zip'))
      await world.moto.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: object.Key }));
}

export async function uploadsInProgress(world: World): Promise<number> {
  const answer = await world.moto.s3.send(new ListMultipartUploadsCommand({ Bucket: world.bucket }));
  return answer.Uploads?.length ?? 0;
}

/** A lock as a slice of another execution leaves it, held for the next hour. */
export async function lockHeldByAnotherExecution(
  world: World,
  key: string,
  execution: string,
): Promise<void> {
  const now = Date.now();
  const owner = {
    pid: 4242,
    host: 'sandbox-of-another-execution',
    startedAt: new Date(now).toISOString(),
    endsBy: new Date(now + 3_600_000).toISOString(),
    execution,
    token: 'feedfacecafebeef',
  };
  await world.moto.s3.send(
    new PutObjectCommand({ Bucket: world.bucket, Key: `${key}.lock`, Body: JSON.stringify(owner) }),
  );
}

export async function removeLock(world: World, key: string): Promise<void> {
  await world.moto.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: `${key}.lock` }));
}
