/** Cross-region replication of the archive bucket (`replicateTo`) to a locked bucket in a stack of its own. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { checkTemplate } from '../../lib/rules/pack.js';
import type { CfnTemplate } from '../../lib/rules/template.js';
import { nagViolations, type Synthesized, synthesize } from './support/synth.js';

let synthesized: Synthesized;
let replica: Template;

beforeAll(() => {
  synthesized = synthesize({
    instances: [{ name: 'prod', secretName: 'n8n-ark/prod' }],
    replicateTo: { region: 'eu-central-1', objectLock: { mode: 'COMPLIANCE', days: 45 } },
  });
  const [replicaStack] = synthesized.stack.dependencies;
  if (!replicaStack) throw new Error('no replica stack');
  replica = Template.fromStack(replicaStack);
});

const joined = (value: unknown): string => {
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join
    ? join[1].map((p) => (typeof p === 'string' ? p : `<${Object.values(p as object)[0]}>`)).join(join[0])
    : String(value);
};

describe('the replica', () => {
  it('is a stack of its own in the target region, deployed before the source', () => {
    const [replicaStack] = synthesized.stack.dependencies;
    expect(replicaStack?.region).toBe('eu-central-1');
    expect(replicaStack?.stackName).toBe('N8nArk-replica');
  });

  it('keeps archives in a versioned bucket under Object Lock, its own key and a derived name', () => {
    replica.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 45 } },
      },
      BucketName: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
    replica.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: Match.stringLikeRegexp('^alias/n8n-ark-replica-[0-9a-f]{10}$'),
    });
  });

  it('is where the archive bucket replicates its archives to, encrypted with the replica key, delete markers not', () => {
    const [source] = Object.values(
      synthesized.template.findResources('AWS::S3::Bucket', {
        Properties: { ReplicationConfiguration: Match.anyValue() },
      }),
    );
    const [bucketName] = Object.values(
      replica.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
    ).map((b) => joined(b.Properties?.BucketName));
    const [rule] = source?.Properties?.ReplicationConfiguration?.Rules ?? [];

    expect(rule).toMatchObject({
      Status: 'Enabled',
      Filter: { Prefix: 'archives/' },
      DeleteMarkerReplication: { Status: 'Disabled' },
      SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
    });
    expect(joined(rule.Destination.Bucket)).toBe(`arn:<AWS::Partition>:s3:::${bucketName}`);
    expect(joined(rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID)).toMatch(
      /^arn:<AWS::Partition>:kms:eu-central-1:<AWS::AccountId>:alias\/n8n-ark-replica-[0-9a-f]{10}$/,
    );
  });

  it('is written by a replication role that cannot erase the archives either, and both stacks pass cdk-nag and the rule pack', () => {
    const [role] = Object.keys(
      synthesized.template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: Match.objectLike({
            Statement: [Match.objectLike({ Principal: { Service: 's3.amazonaws.com' } })],
          }),
        },
      }),
    );
    expect(JSON.stringify(synthesized.template.findResources('AWS::S3::BucketPolicy'))).toContain(
      `"Fn::GetAtt":["${role}","Arn"]`,
    );
    expect(nagViolations(synthesized.app)).toEqual([]);
    expect(checkTemplate(synthesized.json)).toEqual([]);
    expect(checkTemplate(replica.toJSON() as CfnTemplate)).toEqual([]);
  });
});

describe('configuration of replication', () => {
  const replicateTo = (value: unknown) => () =>
    parseConfig({ instances: [{ name: 'a', secretName: 's' }], replicateTo: value });

  it('defaults the replica’s lock to GOVERNANCE for 30 days; refuses a region that is not one', () => {
    expect(replicateTo({ region: 'eu-central-1' })().replicateTo).toEqual({
      region: 'eu-central-1',
      objectLock: { mode: 'GOVERNANCE', days: 30 },
    });
    expect(replicateTo({ region: 'frankfurt' })).toThrow(
      'replicateTo.region must be an AWS region such as eu-central-1, not "frankfurt"',
    );
    expect(replicateTo({ region: 'eu-central-1', objectLock: { mode: 'LEGAL', days: 1 } })).toThrow(
      'replicateTo.objectLock.mode must be GOVERNANCE or COMPLIANCE',
    );
  });
});
