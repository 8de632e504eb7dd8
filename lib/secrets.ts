import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ArkFunction } from './ark-function.js';
import type { ArkConfig, InstanceConfig } from './config/index.js';

/** Which secret each function reads an instance's n8n API key from (its `INSTANCES` environment). */
export const instanceSecrets = {
  /** The backup: the instances it backs up, through `secretName` (read scopes suffice). */
  backup: (instances: readonly InstanceConfig[]) =>
    Object.fromEntries(instances.filter((i) => i.backup).map((i) => [i.name, i.secretName])),
  /** The verify (and the restore machine's comparison of a target): `secretName`, read-only where it is. */
  verify: (instances: readonly InstanceConfig[]) =>
    Object.fromEntries(instances.map((i) => [i.name, i.secretName])),
  /** The restore writes: `restoreSecretName` where given. */
  restore: (instances: readonly InstanceConfig[]) =>
    Object.fromEntries(instances.map((i) => [i.name, i.restoreSecretName ?? i.secretName])),
};

/**
 * The environment of a function that reads encrypted archives (`encryption` in the config): the
 * secret of the archives' key and the further recipients backups encrypt to. Nothing without it.
 */
export function archiveKeyEnvironment(config: ArkConfig): Record<string, string> {
  if (!config.encryption) return {};
  return {
    ENCRYPTION_SECRET: config.encryption.secretName,
    ...(config.encryption.recipients.length > 0
      ? { ENCRYPTION_RECIPIENTS: config.encryption.recipients.join('\n') }
      : {}),
  };
}

/** The archives' key secret, for the functions that read encrypted archives (none without `encryption`). */
export const archiveKeySecrets = (config: ArkConfig): string[] =>
  config.encryption ? [config.encryption.secretName] : [];

/** Target instance → `sm://<prefix>` its restores may read credential secrets from (JSON). */
export function credentialSecretsByTarget(config: ArkConfig): string {
  return JSON.stringify(
    Object.fromEntries(
      config.instances.flatMap((i) => (i.credentialSecrets ? [[i.name, i.credentialSecrets]] : [])),
    ),
  );
}

/**
 * Read access to Secrets Manager, one grant per function and secret: secrets by name (the imported
 * secret's ARN ends in `-??????`), credential secrets by their configured prefix, and, when the
 * secrets are encrypted with a customer-managed key (`secretsKeyArn`), kms:Decrypt on that key
 * through Secrets Manager only (`kms:ViaService`).
 */
export class SecretGrants extends Construct {
  private readonly imported = new Map<string, secretsmanager.ISecret>();
  private readonly decrypting = new Set<ArkFunction>();

  constructor(
    scope: Construct,
    id: string,
    private readonly keyArn?: string,
  ) {
    super(scope, id);
  }

  grantRead(fn: ArkFunction, secretNames: readonly string[]): void {
    for (const name of new Set(secretNames)) this.secret(name).grantRead(fn.role);
    if (secretNames.length > 0) this.grantDecrypt(fn);
  }

  /** `sm://<prefix>` URIs: every secret `<prefix>/<credential id>`, nothing beside them. */
  grantPrefixes(fn: ArkFunction, uris: readonly string[]): void {
    const names = [...new Set(uris)].map((uri) => `${uri.slice('sm://'.length)}/*`);
    if (names.length === 0) return;
    const stack = Stack.of(this);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: names.map((resourceName) =>
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    Validations.of(fn.role).acknowledge(
      ...names.map((name) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${name}]`,
        reason: `Credential secrets are one secret per credential id under the configured prefix ${name.slice(0, -2)}/ (credentialSecrets); the function reads those and nothing beside them.`,
      })),
    );
    this.grantDecrypt(fn);
  }

  private secret(name: string): secretsmanager.ISecret {
    let secret = this.imported.get(name);
    if (!secret) {
      secret = secretsmanager.Secret.fromSecretNameV2(this, `Secret${this.imported.size}`, name);
      this.imported.set(name, secret);
    }
    return secret;
  }

  private grantDecrypt(fn: ArkFunction): void {
    if (!this.keyArn || this.decrypting.has(fn)) return;
    this.decrypting.add(fn);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
  }
}
