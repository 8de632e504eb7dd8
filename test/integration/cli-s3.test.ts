/** The CLI with an S3 store (moto) end to end: backup --store s3://…, list, verify, restore s3://…. */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type Moto, startMoto } from './support/moto.js';
import { backupArgs, restoreArgs, runCapturedCli } from './support/run-cli.js';

let moto: Moto;
let source: N8nDouble;
let target: N8nDouble;
const saved = { ...process.env };

const cli = (args: string[]) =>
  runCapturedCli(args, { ...moto.env, SOURCE_KEY: source.apiKey, TARGET_KEY: target.apiKey });

beforeAll(async () => {
  moto = await startMoto();
  // The CLI reads its own settings from the environment it is handed; the AWS SDK's default chain
  // (endpoint, region, credentials) reads the process's.
  Object.assign(process.env, moto.env);
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'ark-cli' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'ark-cli', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  source = await startN8nDouble({ licensed: 'all' });
  target = await startN8nDouble({ licensed: 'all' });
  seedInstance(source.state, { workflows: 12, rowsTotal: 300 });
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([source?.close(), target?.close(), moto?.stop()]);
});

describe('n8n-ark with an S3 store', () => {
  it('backs up into s3://bucket/prefix, lists, verifies and restores from the s3:// location', async () => {
    const backup = await cli(backupArgs(source.url, 's3://ark-cli/n8n', '--json'));
    expect(backup.code, backup.stderr).toBe(0);
    const archive = (JSON.parse(backup.stdout) as { archive: string }).archive;
    expect(archive).toMatch(/^s3:\/\/ark-cli\/n8n\/prod\/\d{4}\/\d{2}\/\d{2}\/.+\.zip\?versionId=.+$/);

    const list = await cli(['list', '--store', 's3://ark-cli/n8n', '--json']);
    expect((JSON.parse(list.stdout) as { instance: string }[]).map((a) => a.instance)).toEqual(['prod']);
    expect((await cli(['verify', archive])).code).toBe(0);

    const restore = await cli(
      restoreArgs(
        archive,
        target.url,
        '--ledger',
        `${process.env.TMPDIR ?? '/tmp'}/cli-s3-ledger-${Date.now()}.json`,
        '--json',
      ),
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect((JSON.parse(restore.stdout) as { created: { workflows: number } }).created.workflows).toBe(12);
  });

  it('reports a bucket that does not exist as a store error (exit 5)', async () => {
    const run = await cli([
      'backup',
      '--url',
      source.url,
      '--api-key-env',
      'SOURCE_KEY',
      '--store',
      's3://no-such-bucket/x',
    ]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/could not upload the archive to s3:\/\/no-such-bucket/);
  });
});
