/**
 * The drill Lambda in-process, driven as the drill state machine drives it (prepare → slices until
 * done → finish), against moto (S3, Secrets Manager) and two API doubles (the source and the scratch).
 */
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as backup } from '../../functions/handlers/backup.js';
import { handler as drill } from '../../functions/handlers/drill.js';
import { seedInstance } from '../double/seed.js';
import { type N8nDouble, startN8nDouble } from '../double/server.js';
import { type Moto, startMoto } from './support/moto.js';

let moto: Moto;
let prod: N8nDouble;
let scratch: N8nDouble;
const saved = { ...process.env };
const context = { getRemainingTimeInMillis: () => 15 * 60_000 };

beforeAll(async () => {
  moto = await startMoto();
  prod = await startN8nDouble({ licensed: 'all' });
  scratch = await startN8nDouble({ licensed: 'all' });
  seedInstance(prod.state, { workflows: 10, rowsTotal: 200 });
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'ark-drill' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'ark-drill', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  for (const [name, double] of [
    ['n8n-ark/prod', prod],
    ['n8n-ark/scratch', scratch],
  ] as const)
    await moto.secrets.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ url: double.url, apiKey: double.apiKey }),
      }),
    );
  Object.assign(process.env, moto.env, {
    ARCHIVE_BUCKET: 'ark-drill',
    ARCHIVE_PREFIX: 'archives',
    INSTANCES: JSON.stringify({ prod: 'n8n-ark/prod' }),
    DRILL_TARGETS: JSON.stringify({ prod: 'n8n-ark/scratch' }),
    AWS_REGION: 'us-east-1',
  });
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([prod?.close(), scratch?.close(), moto?.stop()]);
});

function captureStdout(): { lines: () => string[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return { lines: () => written.join('').split('\n').filter(Boolean), restore: () => spy.mockRestore() };
}

/** What the drill state machine does with the handler's answers, state by state. */
async function runMachine(instance: string) {
  const prepared = (await drill({ mode: 'prepare', instance }, context)) as {
    drill: Record<string, unknown>;
    slice: { done: boolean; steps: unknown[] };
  };
  let slice: { done: boolean; steps: unknown[]; outcome?: unknown } = prepared.slice;
  for (let i = 0; i < 10 && !slice.done; i += 1)
    slice = (await drill(
      { mode: 'slice', drill: prepared.drill, steps: slice.steps },
      context,
    )) as typeof slice;
  return drill({ mode: 'finish', drill: prepared.drill, slice }, context);
}

describe('drill Lambda', () => {
  it('refuses a scratch instance that is not marked as a drill target, before any write', async () => {
    await backup({ instance: 'prod' });

    await expect(drill({ mode: 'prepare', instance: 'prod' }, context)).rejects.toThrow(
      /is not marked as a drill target/,
    );
    expect(scratch.writeCount()).toBe(0);
  });

  it('prepares, restores in slices, compares, writes the report beside the archive and emits DrillSucceeded', async () => {
    scratch.state.createTag('n8n-ark-drill-target');
    const out = captureStdout();
    let result: Awaited<ReturnType<typeof runMachine>>;
    try {
      result = await runMachine('prod');
    } finally {
      out.restore();
    }

    expect(result).toMatchObject({ instance: 'prod', verdict: 'pass', reasons: [] });
    const report = (result as { report: { html: string; json: string; consoleUrl: string } }).report;
    expect(report.html).toMatch(/^s3:\/\/ark-drill\/archives\/prod\/.+Z\.drill-.+Z\.html$/);
    expect(report.consoleUrl).toContain(
      'https://console.aws.amazon.com/s3/object/ark-drill?region=us-east-1&prefix=',
    );
    const key = new URL(report.html).pathname.slice(1);
    const page = await moto.s3.send(new GetObjectCommand({ Bucket: 'ark-drill', Key: key }));
    expect(page.ContentType).toBe('text/html; charset=utf-8');
    expect(await page.Body?.transformToString()).toContain(
      '<span id="verdict" class="verdict pass">PASS</span>',
    );
    const json = await moto.s3.send(
      new GetObjectCommand({ Bucket: 'ark-drill', Key: new URL(report.json).pathname.slice(1) }),
    );
    const body = JSON.parse((await json.Body?.transformToString()) ?? '{}') as {
      kinds: { resource: string; restored: number }[];
    };
    expect(body.kinds.find((k) => k.resource === 'workflows')?.restored).toBe(10);
    const metric = out
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => '_aws' in l);
    expect(metric).toMatchObject({ Instance: 'prod', DrillSucceeded: 1 });
    expect(out.lines().join('\n')).not.toContain(scratch.apiKey);
  });
});
