/**
 * The Lambda handlers with `encryption` configured, against moto (S3, Secrets Manager) and the API
 * double: the backup writes a `.zip.age` sealed to the key in ENCRYPTION_SECRET and to the extra
 * recipient; verify and restore open it with that key; the next backup is incremental over it; the
 * prune, which is given no key, keeps its rules; the key reaches no log line and no answer.
 */
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as backupHandler } from '../../functions/handlers/backup.js';
import { handler as prune } from '../../functions/handlers/prune.js';
import { handler as restore } from '../../functions/handlers/restore.js';
import { handler as verify } from '../../functions/handlers/verify.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type Moto, startMoto } from './support/moto.js';
import { freshTargetFor } from './support/targets.js';

let moto: Moto;
let prod: N8nDouble;
let dr: N8nDouble;
let identity: string;
let offline: string;
const saved = { ...process.env };
const logged: string[] = [];
const answers: unknown[] = [];
/** Invoked directly (no slicing), the backup function backs up whole and answers the archive. */
const backup = async (event: object) =>
  (await backupHandler(event)) as { archive: string; counts: Record<string, number>; shrank: boolean };

beforeAll(async () => {
  moto = await startMoto();
  prod = await startN8nDouble({ licensed: 'all' });
  seedInstance(prod.state, { workflows: 20, rowsTotal: 400 });
  dr = await freshTargetFor(prod);
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'ark-sealed' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'ark-sealed', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  identity = await generateX25519Identity();
  offline = await generateX25519Identity();
  const secrets = [
    ['n8n-ark/prod', { url: prod.url, apiKey: prod.apiKey }],
    ['n8n-ark/dr', { url: dr.url, apiKey: dr.apiKey }],
    ['n8n-ark/archive-key', { identity: `# the deployment's archive key\n${identity}\n` }],
  ] as const;
  for (const [Name, value] of secrets)
    await moto.secrets.send(new CreateSecretCommand({ Name, SecretString: JSON.stringify(value) }));
  Object.assign(process.env, moto.env, {
    ARCHIVE_BUCKET: 'ark-sealed',
    ARCHIVE_PREFIX: 'archives',
    INSTANCES: JSON.stringify({ prod: 'n8n-ark/prod', dr: 'n8n-ark/dr' }),
    ENCRYPTION_SECRET: 'n8n-ark/archive-key',
    ENCRYPTION_RECIPIENTS: await identityToRecipient(offline),
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  process.env = saved;
  await Promise.all([prod?.close(), dr?.close(), moto?.stop()]);
});

describe('Lambda handlers with encryption configured', () => {
  let first = '';

  it('backup writes a .zip.age that both the deployment key and the offline key open', async () => {
    const result = await backup({ instance: 'prod' });
    answers.push(result);
    first = result.archive;
    expect(first).toMatch(
      /^s3:\/\/ark-sealed\/archives\/prod\/\d{4}\/\d{2}\/\d{2}\/.+\.zip\.age\?versionId=/,
    );
    const url = new URL(first);
    const object = await moto.s3.send(
      new GetObjectCommand({
        Bucket: url.hostname,
        Key: url.pathname.slice(1),
        VersionId: url.searchParams.get('versionId') ?? undefined,
      }),
    );
    const bytes = await object.Body?.transformToByteArray();
    expect(object.ContentType).toBe('application/octet-stream');
    for (const key of [identity, offline]) {
      const decrypter = new Decrypter();
      decrypter.addIdentity(key);
      const zip = Buffer.from(await decrypter.decrypt(bytes as Uint8Array));
      expect(zip.subarray(0, 2).toString()).toBe('PK');
    }
  });

  it('verify opens it with the key from the secret', async () => {
    const result = await verify({ instance: 'prod' });
    answers.push(result);
    // (The newest archive as the listing names it: its current version, without a version id.)
    expect(result).toMatchObject({ ok: true, archive: first.split('?')[0] });
  });

  it('the next backup is incremental over the encrypted archive', async () => {
    const result = await backup({ instance: 'prod' });
    answers.push(result);
    const finished = logged
      .flatMap((chunk) => chunk.split('\n'))
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { message?: string; archive?: string })
      .filter((line) => line.message === 'backup finished');
    expect(finished.at(-1)?.archive).toBe(result.archive);
    expect(logged.join('')).not.toMatch(/previous archive not reused/);
  });

  it('restore opens it with the key from the secret', async () => {
    const url = new URL(first);
    const archive = { key: url.pathname.slice(1), versionId: url.searchParams.get('versionId') ?? undefined };
    let outcome = await restore({ archive, target: 'dr' }, { getRemainingTimeInMillis: () => 600_000 });
    while (!outcome.done)
      outcome = await restore({ archive, target: 'dr' }, { getRemainingTimeInMillis: () => 600_000 });
    answers.push(outcome);
    const compared = await verify({ archive, target: 'dr' });
    answers.push(compared);
    expect(compared.target).toMatchObject({ equal: true, differences: 0 });
  });

  it('prune, given no key, keeps the newest encrypted archive by what its encryption shows', async () => {
    const withKey = { ...process.env };
    delete process.env.ENCRYPTION_SECRET;
    delete process.env.ENCRYPTION_RECIPIENTS;
    try {
      const report = await prune({ instance: 'prod', keep: { last: 1 }, dryRun: true });
      answers.push(report);
      expect(report.newestVerifiedWithoutKey).toBe(true);
      expect(report.deleted).toHaveLength(1);
    } finally {
      process.env = withKey;
    }
  });

  it('a slice of the backup machine backs an encrypted instance up whole, in that one invocation, and says so', async () => {
    const slicing = { execution: 'arn:aws:states:us-east-1:123456789012:execution:Backup:sealed' };
    const answer = (await backupHandler(
      { instance: 'prod', slicing },
      { getRemainingTimeInMillis: () => 900_000 },
    )) as { done: boolean; slices: number; archive: string };
    answers.push(answer);

    expect(answer).toMatchObject({ done: true, slices: 1 });
    expect(answer.archive).toMatch(/\.zip\.age\?versionId=/);
    expect(logged.join('')).toContain('an encrypted backup is not sliced: it runs whole in this invocation');
    expect((await verify({ archive: { key: new URL(answer.archive).pathname.slice(1) } })).ok).toBe(true);
  });

  it('no log line and no answer holds the key', () => {
    const everything = `${logged.join('')}\n${JSON.stringify(answers)}`;
    expect(everything.length).toBeGreaterThan(1000);
    for (const key of [identity, offline]) expect(everything).not.toContain(key);
  });
});
