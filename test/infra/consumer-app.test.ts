/**
 * "Use it from your own CDK app": the packed project installed into an empty CDK app that has only
 * aws-cdk-lib and constructs (and cdk-nag, to check the result), all offline: the CDK packages at the
 * lockfile's versions from the npm cache that `npm ci` filled, n8n-ark from its tarball (its runtime
 * dependencies inside it). The app imports `n8n-ark/cdk`, synthesizes with cdk-nag and n8n-ark's rule
 * pack as validation plugins, and deploys the prebuilt bundles: no esbuild, tsx or TypeScript there.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockfileFor, NODE_ENV, packProject, run } from '../support/pack.js';

const CONFIG = {
  instances: [
    { name: 'prod', secretName: 'n8n-ark/prod', drill: { targetSecret: 'n8n-ark/scratch' } },
    { name: 'dr', secretName: 'n8n-ark/dr', backup: false },
  ],
  retention: { daily: 7, weekly: 5, monthly: 12 },
  alarmEmail: 'ops@example.com',
};

/** The consumer's app, as its README section shows it (plus a queue cdk-nag must object to, on request). */
const APP = `import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { N8nArk, N8nArkChecks } from 'n8n-ark/cdk';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Platform');
new N8nArk(stack, 'Ark', ${JSON.stringify(CONFIG)});
if (process.argv[3] === 'with-plain-queue') new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
Validations.of(app).addPlugins(new AwsSolutionsChecks(), new ServerlessChecks(), new N8nArkChecks());
app.synth();
`;

let work: string;
let consumer: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'n8n-ark-consumer-'));
  const { tarball } = await packProject(work);
  consumer = join(work, 'consumer');
  await mkdir(consumer);
  const { manifest, lock } = await lockfileFor(['aws-cdk-lib', 'constructs', 'cdk-nag'], 'consumer');
  await writeFile(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(consumer, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const npm = (args: string[]) =>
    run('npm', [...args, '--offline', '--no-audit', '--no-fund'], { cwd: consumer, env: NODE_ENV });
  await npm(['ci']);
  await npm(['install', tarball]);
  await writeFile(join(consumer, 'app.mjs'), APP);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const synth = (outdir: string, ...extra: string[]) =>
  run(process.execPath, ['app.mjs', join(consumer, outdir), ...extra], {
    cwd: consumer,
    env: NODE_ENV,
    maxBuffer: 16 * 1024 * 1024,
  });

describe('n8n-ark in an empty CDK app', { timeout: 300_000 }, () => {
  it('installs with aws-cdk-lib and constructs as its peers and brings no build tool', async () => {
    const installed = JSON.parse(
      await readFile(join(consumer, 'node_modules', 'n8n-ark', 'package.json'), 'utf8'),
    );

    expect(Object.keys(installed.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    for (const tool of ['esbuild', 'tsx', 'typescript'])
      expect(existsSync(join(consumer, 'node_modules', tool)), tool).toBe(false);
    expect(
      existsSync(join(consumer, 'node_modules', 'n8n-ark', 'dist', 'lambda', 'backup', 'index.js')),
    ).toBe(true);
  });

  it('synthesizes `new N8nArk(stack, id, config)` with cdk-nag and the rule pack finding nothing, deploying the prebuilt bundles', async () => {
    await synth('cdk.out');
    const out = join(consumer, 'cdk.out');
    const template = JSON.parse(await readFile(join(out, 'Platform.template.json'), 'utf8'));
    const assets = JSON.parse(await readFile(join(out, 'Platform.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const functions = Object.values(template.Resources as Record<string, { Type: string }>).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    const zipped = Object.values(assets.files).filter((a) => a.source.packaging === 'zip');

    expect(functions).toHaveLength(5);
    // One prebuilt bundle per handler (backup, restore, verify, prune, drill), copied as it was built.
    expect(zipped).toHaveLength(5);
    for (const { source } of zipped) {
      expect(existsSync(join(out, source.path, 'index.js')), source.path).toBe(true);
      expect(existsSync(join(out, source.path, 'index.js.map')), source.path).toBe(true);
    }
  });

  it("fails the consumer's synth on what cdk-nag finds in the consumer's own stack: the checks are live", async () => {
    const failed = await synth('cdk.out.plain', 'with-plain-queue').then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    );

    expect(failed).toMatch(/AwsSolutions-SQS/);
    expect(failed).not.toMatch(/Platform\/Ark\//);
  });
});
