/**
 * What the state machines run against in the tests: moto (the archive bucket, the instances'
 * secrets), the API double as each instance the cdk.json app configures (prod, dr, and prod's drill
 * scratch), and the app synthesized as deployed. Every function runs with its template environment,
 * resolved to these, plus the AWS endpoint of moto.
 */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { type N8nDouble, startN8nDouble } from '../../double/server.js';
import { type Moto, startMoto } from '../../integration/support/moto.js';
import { type DeployedApp, type DeployedFunction, deployedApp, resolve } from './deployed-app.js';

export interface World {
  app: DeployedApp;
  moto: Moto;
  bucket: string;
  prod: N8nDouble;
  dr: N8nDouble;
  scratch: N8nDouble;
  environment(fn: DeployedFunction): Record<string, string>;
  close(): Promise<void>;
}

/** The doubles answer each request after `latencyMs`, as an n8n behind a network does. */
export async function startWorld(options: { latencyMs?: number } = {}): Promise<World> {
  const app = deployedApp();
  const moto = await startMoto();
  const bucket = 'n8n-ark-machines';
  const faults = options.latencyMs ? { latencyMs: options.latencyMs } : {};
  const [prod, dr, scratch] = await Promise.all([
    startN8nDouble({ licensed: 'all', faults }),
    startN8nDouble({ licensed: 'all', faults }),
    startN8nDouble({ licensed: 'all', faults }),
  ]);
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  for (const [name, double] of [
    ['n8n-ark/prod', prod],
    ['n8n-ark/dr', dr],
    ['n8n-ark/scratch', scratch],
  ] as const)
    await moto.secrets.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ url: double.url, apiKey: double.apiKey }),
      }),
    );
  const bucketId = app.idOf('AWS::S3::Bucket', 'ArchivesBucket');
  const references = (id: string) => (id === bucketId ? bucket : `${id}`);
  return {
    app,
    moto,
    bucket,
    prod,
    dr,
    scratch,
    environment(fn) {
      const resolved = resolve(fn.environment, references) as Record<string, string>;
      // The archive key is KMS: moto's S3 keeps no KMS key, so the bucket's own encryption stands in.
      const { KMS_KEY_ID: _kms, ...variables } = resolved;
      return { PATH: process.env.PATH ?? '', ...variables, ...moto.env, LOG_LEVEL: 'info' };
    },
    async close() {
      await Promise.all([prod.close(), dr.close(), scratch.close(), moto.stop()]);
      app.remove();
    },
  };
}
