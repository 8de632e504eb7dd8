/**
 * Which function holds which API key: the backup and the verify read `secretName` (a read-only key
 * will do), restores write with `restoreSecretName`; secrets under a customer-managed key are
 * decrypted through Secrets Manager only.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { idsOf, roleStatementsOf, synthesize } from './support/synth.js';

const SECRETS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
let template: Template;

beforeAll(() => {
  template = synthesize({
    instances: [
      { name: 'prod', secretName: 'n8n-ark/prod-read', restoreSecretName: 'n8n-ark/prod-write' },
      {
        name: 'dr',
        secretName: 'n8n-ark/dr-read',
        restoreSecretName: 'n8n-ark/dr-write',
        backup: false,
        credentialSecrets: 'sm://n8n-ark/credentials',
      },
    ],
    secretsKeyArn: SECRETS_KEY,
  }).template;
});

function functionOf(prefix: string): { instances: Record<string, string>; statements: string } {
  const [id] = idsOf(template, 'AWS::Lambda::Function', prefix);
  const fn = template.toJSON().Resources[id ?? ''];
  const role = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return {
    instances: JSON.parse(fn.Properties.Environment.Variables.INSTANCES),
    statements: JSON.stringify(roleStatementsOf(template, role)),
  };
}

const readable = (statements: string) =>
  [...statements.matchAll(/secret:(n8n-ark\/[\w-]+)-\?{6}/g)].map((m) => m[1]).sort();

describe('instance secrets by function', () => {
  it('the backup reads the read key of the instances it backs up, and knows no other instance', () => {
    const backup = functionOf('Backup');
    expect(backup.instances).toEqual({ prod: 'n8n-ark/prod-read' });
    expect(readable(backup.statements)).toEqual(['n8n-ark/prod-read']);
  });

  it('the verify (which compares restored targets too) reads the read keys only', () => {
    const verify = functionOf('Verify');
    expect(verify.instances).toEqual({ prod: 'n8n-ark/prod-read', dr: 'n8n-ark/dr-read' });
    expect(readable(verify.statements)).toEqual(['n8n-ark/dr-read', 'n8n-ark/prod-read']);
  });

  it('the restore writes with the restore keys, and reads the configured credential secrets', () => {
    const restore = functionOf('Restore');
    expect(restore.instances).toEqual({ prod: 'n8n-ark/prod-write', dr: 'n8n-ark/dr-write' });
    expect(readable(restore.statements)).toEqual(['n8n-ark/dr-write', 'n8n-ark/prod-write']);
    expect(restore.statements).toContain(':secret:n8n-ark/credentials/*');
  });

  it('each function that reads a secret may decrypt with the secrets key through Secrets Manager, and only so', () => {
    for (const prefix of ['Backup', 'Verify', 'Restore']) {
      const decrypt = JSON.parse(functionOf(prefix).statements).filter(
        (s: { Resource?: unknown }) => s.Resource === SECRETS_KEY,
      );
      expect(decrypt, prefix).toEqual([
        {
          Action: 'kms:Decrypt',
          Effect: 'Allow',
          Resource: SECRETS_KEY,
          Condition: {
            StringEquals: {
              'kms:ViaService': {
                'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
              },
            },
          },
        },
      ]);
    }
  });
});

describe('configuration of secrets', () => {
  const base = { name: 'prod', secretName: 'n8n-ark/prod' };

  it('takes a restore secret per instance and a KMS key ARN for the secrets, refusing other shapes', () => {
    expect(
      parseConfig({ instances: [{ ...base, restoreSecretName: 'w' }] }).instances[0]?.restoreSecretName,
    ).toBe('w');
    expect(() => parseConfig({ instances: [{ ...base, restoreSecretName: '' }] })).toThrow(
      'cdk.json context "n8nArk": instances[0] ("prod").restoreSecretName must be the name of a Secrets Manager secret',
    );
    expect(() => parseConfig({ instances: [base], secretsKeyArn: 'alias/aws/secretsmanager' })).toThrow(
      'secretsKeyArn must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)',
    );
  });
});
