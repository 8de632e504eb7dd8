import { ArnFormat, type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ArkFunction } from './ark-function.js';
import type { ArkConfig } from './config.js';

/** Target instance → `sm://<prefix>` its restores may read credential secrets from (JSON). */
export function credentialSecretsByTarget(config: ArkConfig): string {
  return JSON.stringify(
    Object.fromEntries(
      config.instances.flatMap((i) => (i.credentialSecrets ? [[i.name, i.credentialSecrets]] : [])),
    ),
  );
}

/** The restore function reads exactly the configured credential-secret prefixes, nothing beside them. */
export function grantCredentialSecrets(stack: Stack, restore: ArkFunction, config: ArkConfig): void {
  const prefixes = [
    ...new Set(config.instances.flatMap((i) => (i.credentialSecrets ? [i.credentialSecrets] : []))),
  ];
  if (prefixes.length === 0) return;
  const names = prefixes.map((uri) => `${uri.slice('sm://'.length)}/*`);
  restore.fn.addToRolePolicy(
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
  Validations.of(restore).acknowledge(
    ...names.map((name) => ({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${name}]`,
      reason: `Credential secrets are one secret per credential id under the configured prefix ${name.slice(0, -2)}/ (cdk.json credentialSecrets); the restore function reads those and nothing beside them.`,
    })),
  );
}
