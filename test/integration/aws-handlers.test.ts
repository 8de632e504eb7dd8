/**
 * The Lambda handlers in-process, against moto (S3, Secrets Manager) and the API double (n8n):
 * the same code paths as in AWS, with local stand-ins for the services.
 */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { credentialSecretSource } from '../../functions/cli/secrets.js';
import { ArchiveNotFoundError } from '../../functions/core/errors.js';
import { handler as backup } from '../../functions/handlers/backup.js';
import { handler as restore } from '../../functions/handlers/restore.js';
import { handler as verify } from '../../functions/handlers/verify.js';
import { ALL_SCOPES } from '../double/scopes.js';
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
    CREDENTIAL_SECRETS: JSON.stringify({ dr: 'sm://n8n-ark/credentials' }),
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
    // Invoked without a state machine's `slicing`: the whole backup in one invocation.
    let result: { archive: string; counts: Record<string, number> };
    try {
      result = (await backup({ instance: 'prod' })) as typeof result;
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
      // The first archive: nothing to compare with, so not shrunk.
      BackupShrank: 0,
      SkippedResources: 0,
      Count_workflows: 30,
    });
    expect(metrics?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'n8n-ark',
          Dimensions: [['Instance']],
          Metrics: expect.arrayContaining([
            { Name: 'SkippedResources', Unit: 'Count' },
            { Name: 'BackupShrank', Unit: 'Count' },
            { Name: 'Count_workflows', Unit: 'Count' },
          ]),
        },
      ],
    });
    expect(lines.some((l) => JSON.parse(l).message === 'backup finished')).toBe(true);
    expect(lines.join('\n')).not.toContain(prod.apiKey);
  });

  it('verify: checks the newest archive of an instance', async () => {
    const result = await verify({ instance: 'prod' });
    expect(result).toMatchObject({ ok: true });
    expect(result.entriesChecked).toBeGreaterThan(5);
  });

  it('verify: an instance without an archive, and an archive key that does not exist, fail as one missing archive (exit 5 on the CLI)', async () => {
    const none = await verify({ instance: 'dr' }).catch((error: unknown) => error);
    const gone = await verify({ archive: { key: 'archives/prod/none.zip' } }).catch(
      (error: unknown) => error,
    );

    expect(none).toBeInstanceOf(ArchiveNotFoundError);
    expect(gone).toBeInstanceOf(ArchiveNotFoundError);
    expect([(none as ArchiveNotFoundError).exitCode, (gone as ArchiveNotFoundError).exitCode]).toEqual([
      5, 5,
    ]);
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

  it("verify after a restore (the state machine's last step): the restore's closing check, again", async () => {
    const request = { archive: { key: archiveKey }, target: 'dr', onConflict: 'skip' };
    const same = await verify(request);
    expect(same.target).toMatchObject({ instance: 'dr', equal: true, differences: 0 });

    const [lost] = dr.state.workflows.values();
    dr.state.deleteWorkflow(lost?.id ?? '');
    const missing = await verify(request);
    expect(missing.target?.equal).toBe(false);
    expect(missing.target?.sample).toContainEqual(
      `workflows "${lost?.name}": ${lost?.id} is not in the target`,
    );
  });

  it('restore: the same request into a target rebuilt empty restores everything again, never "done" with it empty', async () => {
    for (const id of [...dr.state.workflows.keys()]) dr.state.deleteWorkflow(id);
    for (const id of [...dr.state.tags.keys()]) dr.state.tags.delete(id);

    let slice = await restore({ archive: { key: archiveKey }, target: 'dr' }, lambdaContext(15 * 60_000));
    for (let i = 0; i < 10 && !slice.done; i += 1)
      slice = await restore({ archive: { key: archiveKey }, target: 'dr' }, lambdaContext(15 * 60_000));
    const check = await verify({ archive: { key: archiveKey }, target: 'dr' });

    expect(slice).toMatchObject({ done: true, summary: { complete: true } });
    expect(dr.state.workflows.size).toBe(30);
    expect(check.target).toMatchObject({ equal: true, differences: 0 });
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
    // A failed backup declares no judgement it could not make.
    expect(failure).not.toHaveProperty('BackupShrank');
    expect(JSON.stringify(failure)).not.toContain('SkippedResources');
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
  it('restore: fills the stubs it created from sm://<prefix> secrets (the shape of the CLI file), in a new round', async () => {
    const [slack] = [...prod.state.credentials.values()].filter((c) => c.type === 'slackApi');
    const stub = dr.state.credentials.get(slack?.id ?? '');
    expect(stub?.data).not.toMatchObject({ accessToken: 'xoxb-restored' });
    await moto.secrets.send(
      new CreateSecretCommand({
        Name: `n8n-ark/credentials/${slack?.id}`,
        SecretString: JSON.stringify({ accessToken: 'xoxb-restored' }),
      }),
    );

    const request = {
      archive: { key: archiveKey },
      target: 'dr',
      credentialSecrets: 'sm://n8n-ark/credentials',
    };
    let slice = await restore(request, lambdaContext(15 * 60_000));
    for (let i = 0; i < 10 && !slice.done; i += 1) slice = await restore(request, lambdaContext(15 * 60_000));

    expect(slice.done).toBe(true);
    expect(slice.summary).toMatchObject({ complete: true });
    expect(dr.state.credentials.get(slack?.id ?? '')?.data).toMatchObject({ accessToken: 'xoxb-restored' });
  });

  it('restore: refuses credential secrets from a prefix not configured for the target, before any write', async () => {
    const writes = dr.writeCount();

    await expect(
      restore(
        { archive: { key: archiveKey }, target: 'dr', credentialSecrets: 'sm://someone-else' },
        lambdaContext(60_000),
      ),
    ).rejects.toThrow(
      'invalid restore event: credentialSecrets: restores into "dr" may read credential secrets from sm://n8n-ark/credentials only (cdk.json), not sm://someone-else',
    );
    await expect(
      restore(
        { archive: { key: archiveKey }, target: 'prod', credentialSecrets: 'sm://n8n-ark/credentials' },
        lambdaContext(60_000),
      ),
    ).rejects.toThrow(/restores into "prod" may not read credential secrets/);
    await expect(
      restore({ archive: { key: archiveKey }, target: 'dr', activation: false }, lambdaContext(60_000)),
    ).rejects.toThrow(/^invalid restore event: \(root\): unknown field "activation"; a restore event takes /);
    expect(dr.writeCount()).toBe(writes);
  });

  it('backup: a backup with more than the share of workflows gone emits BackupShrank=1, Shrank_workflows=1, and logs why', async () => {
    const ids = [...prod.state.workflows.keys()].slice(0, 9);
    for (const id of ids) prod.state.workflows.delete(id);
    const out = captureStdout();
    try {
      await backup({ instance: 'prod', shrinkAlarmShare: 0.25 });
    } finally {
      out.restore();
    }
    const lines = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);

    expect(lines.find((l) => '_aws' in l)).toMatchObject({
      Instance: 'prod',
      BackupSuccess: 1,
      BackupShrank: 1,
      SkippedResources: 0,
      Count_workflows: 21,
      Shrank_workflows: 1,
      Shrank_tags: 0,
    });
    expect(lines.find((l) => l.message === 'backup shrank')).toMatchObject({
      instance: 'prod',
      reasons: expect.arrayContaining(['workflows fell from 30 to 21 (30 %, more than 25 %)']),
    });
  });

  it('backup: within the share it is not shrunk', async () => {
    const [one] = prod.state.workflows.keys();
    prod.state.workflows.delete(one ?? '');
    const out = captureStdout();
    try {
      await backup({ instance: 'prod' });
    } finally {
      out.restore();
    }
    const metrics = out
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => '_aws' in l);

    expect(metrics).toMatchObject({ BackupShrank: 0, Count_workflows: 20, Shrank_workflows: 0 });
  });

  it('backup: an incomplete one (a kind the key may not read) fails the invocation and emits BackupFailure=1, so BackupFailed fires that night; exclude from the event lets it pass, recorded', async () => {
    prod.addApiKey(
      prod.apiKey,
      ALL_SCOPES.filter((scope) => scope !== 'credential:list'),
    );
    const out = captureStdout();
    try {
      await expect(backup({ instance: 'prod' })).rejects.toThrow(
        /may not read credentials \(n8n wants credential:list\)/,
      );
      const excluded = (await backup({ instance: 'prod', exclude: ['credentials'] })) as {
        counts: Record<string, number>;
      };
      expect(excluded.counts.credentials).toBeUndefined();
    } finally {
      out.restore();
      prod.addApiKey(prod.apiKey);
    }
    const metrics = out
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => '_aws' in l);

    expect(metrics[0]).toMatchObject({ Instance: 'prod', BackupSuccess: 0, BackupFailure: 1 });
    expect(metrics[1]).toMatchObject({ Instance: 'prod', BackupSuccess: 1, BackupFailure: 0 });
    expect(
      out
        .lines()
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.message === 'resource excluded'),
    ).toMatchObject({
      resource: 'credentials',
      askedBy: 'the backup event\'s "exclude" (cdk.json, instance prod)',
    });
  });
});
