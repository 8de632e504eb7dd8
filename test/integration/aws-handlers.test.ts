/**
 * The Lambda handlers in-process, against moto (S3, Secrets Manager) and the API double (n8n):
 * the same code paths as in AWS, with local stand-ins for the services.
 */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { credentialSecretSource } from '../../functions/cli/secrets.js';
import { handler as backup } from '../../functions/handlers/backup.js';
import { handler as restore } from '../../functions/handlers/restore.js';
import { handler as verify } from '../../functions/handlers/verify.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type Moto, startMoto } from './support/moto.js';

let moto: Moto;
let prod: N8nDouble;
let dr: N8nDouble;
const saved = { ...process.env };
const lambdaContext = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

beforeAll(async () => {
  moto = await startMoto();
  prod = await startN8nDouble({ licensed: 'all' });
  dr = await startN8nDouble({ licensed: 'all' });
  seedInstance(prod.state, { workflows: 30, rowsTotal: 600 });
  // The operator invited the team to the recovery instance (a restore cannot create accounts).
  for (const user of prod.state.users.values())
    if (user.role !== 'global:owner') dr.state.createUser({ ...user });
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'ark-lambda' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'ark-lambda', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  for (const [name, double] of [
    ['n8n-ark/prod', prod],
    ['n8n-ark/dr', dr],
  ] as const) {
    await moto.secrets.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ url: double.url, apiKey: double.apiKey }),
      }),
    );
  }
  await moto.secrets.send(
    new CreateSecretCommand({ Name: 'n8n-ark/broken', SecretString: '{"url":"not a url"}' }),
  );
  Object.assign(process.env, moto.env, {
    ARCHIVE_BUCKET: 'ark-lambda',
    ARCHIVE_PREFIX: 'archives',
    INSTANCES: JSON.stringify({ prod: 'n8n-ark/prod', dr: 'n8n-ark/dr', broken: 'n8n-ark/broken' }),
  });
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([prod?.close(), dr?.close(), moto?.stop()]);
});

/** Captures what the handlers print (logs and metrics) without letting it reach the test output. */
function captureStdout(): { lines: () => string[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return { lines: () => written.join('').split('\n').filter(Boolean), restore: () => spy.mockRestore() };
}

describe('Lambda handlers', () => {
  let archiveKey = '';

  it('backup: lands an archive in S3, logs one summary line and emits EMF metrics, never the API key', async () => {
    const out = captureStdout();
    let result: Awaited<ReturnType<typeof backup>>;
    try {
      result = await backup({ instance: 'prod' });
    } finally {
      out.restore();
    }

    expect(result.archive).toMatch(
      /^s3:\/\/ark-lambda\/archives\/prod\/\d{4}\/\d{2}\/\d{2}\/.+\.zip\?versionId=/,
    );
    expect(result.counts.workflows).toBe(30);
    archiveKey = new URL(result.archive).pathname.slice(1);
    const lines = out.lines();
    const metrics = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => '_aws' in l);
    expect(metrics).toMatchObject({
      Instance: 'prod',
      BackupSuccess: 1,
      BackupFailure: 0,
      Count_workflows: 30,
    });
    expect(lines.some((l) => JSON.parse(l).message === 'backup finished')).toBe(true);
    expect(lines.join('\n')).not.toContain(prod.apiKey);
  });

  it('verify: checks the newest archive of an instance', async () => {
    const result = await verify({ instance: 'prod' });
    expect(result).toMatchObject({ ok: true });
    expect(result.entriesChecked).toBeGreaterThan(5);
  });

  it('restore: a dry run is done in one slice, summarises the plan and writes nothing', async () => {
    const slice = await restore(
      { archive: { key: archiveKey }, target: 'dr', dryRun: true },
      lambdaContext(15 * 60_000),
    );

    expect(slice.done).toBe(true);
    expect(slice.summary).toMatchObject({ dryRun: true, plan: { workflows: { create: 30 } } });
    expect(dr.writeCount()).toBe(0);
  });

  it('restore: slices until done into another instance, then a re-run writes nothing', async () => {
    let slice = await restore({ archive: { key: archiveKey }, target: 'dr' }, lambdaContext(15 * 60_000));
    for (let i = 0; i < 10 && !slice.done; i += 1) {
      slice = await restore({ archive: { key: archiveKey }, target: 'dr' }, lambdaContext(15 * 60_000));
    }

    expect(slice.done).toBe(true);
    expect(slice.ledgerKey).toBe(`${archiveKey}.restore-dr.ledger.json`);
    expect(dr.state.workflows.size).toBe(30);
    const writes = dr.writeCount();
    const again = await restore({ archive: { key: archiveKey }, target: 'dr' }, lambdaContext(15 * 60_000));
    expect(again.done).toBe(true);
    expect(dr.writeCount()).toBe(writes);
  });

  it("verify after a restore (the state machine's last step): the target holds what the archive holds", async () => {
    const request = { archive: { key: archiveKey }, target: 'dr', onConflict: 'skip' };
    const same = await verify(request);
    expect(same.target).toMatchObject({ instance: 'dr', equal: true, differences: 0 });

    const [lost] = dr.state.workflows.values();
    dr.state.workflows.delete(lost?.id ?? '');
    const missing = await verify(request);
    expect(missing.target?.equal).toBe(false);
    expect(
      missing.target?.sample.some(
        (line) => line.startsWith('workflows ') && line.includes(`${lost?.name}: only in s3://ark-lambda/`),
      ),
    ).toBe(true);
    expect((await verify({ ...request, only: ['tags'] })).target?.equal).toBe(true);
  });

  it('rejects a malformed event with a clear message', async () => {
    await expect(backup({ instanse: 'prod' })).rejects.toThrow(/invalid backup event: instance: /);
    await expect(restore({ archive: {}, target: 'dr' }, lambdaContext(60_000))).rejects.toThrow(
      /invalid restore event: archive\.key/,
    );
  });

  it('names an unknown instance and a malformed secret without printing the secret', async () => {
    await expect(backup({ instance: 'staging' })).rejects.toThrow(
      /unknown instance "staging"; configured: prod, dr, broken/,
    );
    const out = captureStdout();
    try {
      await expect(backup({ instance: 'broken' })).rejects.toThrow(/n8n-ark\/broken must hold \{"url"/);
    } finally {
      out.restore();
    }
    const failure = out
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => '_aws' in l);
    expect(failure).toMatchObject({ Instance: 'broken', BackupSuccess: 0, BackupFailure: 1 });
    expect(out.lines().join('\n')).not.toContain('not a url');
  });

  it('--credential-secrets sm://<prefix> reads <prefix>/<credential id> from Secrets Manager', async () => {
    await moto.secrets.send(
      new CreateSecretCommand({ Name: 'n8n-ark/credentials/cred-1', SecretString: '{"accessToken":"xoxb"}' }),
    );

    const source = await credentialSecretSource('sm://n8n-ark/credentials');

    expect(await source.get('cred-1')).toBe('{"accessToken":"xoxb"}');
    expect(await source.get('cred-2')).toBeUndefined();
  });
});
