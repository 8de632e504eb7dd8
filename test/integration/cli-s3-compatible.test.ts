/**
 * An S3-compatible store reached by flags alone (README "S3-compatible stores"): moto stands in for
 * MinIO, R2, B2 or Wasabi, addressed by --s3-endpoint with --s3-path-style and --s3-region, and no
 * AWS_ENDPOINT_URL or N8N_ARK_S3_FORCE_PATH_STYLE in the environment. An encrypted archive goes up
 * and is read back through ranged GETs, chunk by chunk.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type Moto, startMoto } from './support/moto.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let moto: Moto;
let source: N8nDouble;
let target: N8nDouble;
let dir: string;
let identityFile: string;
let recipient: string;
const saved = { ...process.env };

/** The store's flags: where it is and how buckets are addressed there. */
const s3 = () => ['--s3-endpoint', moto.endpoint, '--s3-path-style', '--s3-region', 'us-east-1'];
const cli = (args: string[]) =>
  runCapturedCli(args, { SOURCE_KEY: source.apiKey, TARGET_KEY: target.apiKey });

beforeAll(async () => {
  moto = await startMoto();
  // Credentials only: the endpoint and the addressing come from the flags.
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'N8N_ARK_S3_FORCE_PATH_STYLE', 'AWS_REGION'])
    delete process.env[name];
  process.env.AWS_ACCESS_KEY_ID = moto.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = moto.env.AWS_SECRET_ACCESS_KEY;
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'compatible' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'compatible', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  source = await startN8nDouble({ licensed: 'all' });
  target = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 15, rowsTotal: 2_000 });
  dir = await mkdtemp(join(tmpdir(), 'n8n-ark-s3c-'));
  const identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  identityFile = join(dir, 'key.txt');
  await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([source?.close(), target?.close(), moto?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe('an S3-compatible store by flags', () => {
  it('backs up encrypted, lists, verifies and restores through --s3-endpoint and --s3-path-style', async () => {
    const backup = await cli([
      ...backupArgs(source.url, 's3://compatible/n8n', '--encrypt', '--recipient', recipient, '--json'),
      ...s3(),
    ]);
    expect(backup.code, backup.stderr).toBe(0);
    const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
    expect(archive).toMatch(
      /^s3:\/\/compatible\/n8n\/prod\/\d{4}\/\d{2}\/\d{2}\/.+\.zip\.age\?versionId=.+$/,
    );

    const list = await cli(['list', '--store', 's3://compatible/n8n', '--json', ...s3()]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ instance: 'prod', encrypted: true })]);

    const verify = await cli(['verify', archive, '--identity-file', identityFile, ...s3()]);
    expect(verify.code, verify.stderr).toBe(0);

    const restore = await cli([
      ...restoreArgs(
        archive,
        target.url,
        '--identity-file',
        identityFile,
        '--ledger',
        join(dir, 'ledger.json'),
      ),
      ...s3(),
    ]);
    expect(restore.code, restore.stderr).toBe(0);
  });

  it('refuses an endpoint that is no http(s) URL (exit 2)', async () => {
    const list = await cli(['list', '--store', 's3://compatible/n8n', '--s3-endpoint', 'minio:9000']);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/--s3-endpoint "minio:9000" is not an http:\/\/ or https:\/\/ URL/);
  });
});
