/** The scheduled prune (lib/retention.ts) synthesized from a cdk.json example with prune on two instances. */
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import {
  cdkContext,
  nagViolations,
  roleStatementsOf,
  type Synthesized,
  synthesize,
} from './support/synth.js';

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  const { n8nArk, flags } = cdkContext(join(import.meta.dirname, 'fixtures', 'cdk.retention.json'));
  synthesized = synthesize(n8nArk, flags);
  template = synthesized.template;
});

type Resource = { Properties: Record<string, unknown> };

function pruneFunction(instance: string): [string, Resource] {
  const found = Object.entries(
    template.findResources('AWS::Lambda::Function') as Record<string, Resource>,
  ).filter(([id]) => id.startsWith(`RetentionPrune${instance}`));
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** Every statement of the policies attached to a function's role. */
function statementsOf(functionId: string): Record<string, unknown>[] {
  const fn = template.toJSON().Resources[functionId] as { Properties: { Role: { 'Fn::GetAtt': string[] } } };
  return roleStatementsOf(template, fn.Properties.Role['Fn::GetAtt'][0] ?? '');
}

describe('scheduled prune', () => {
  it('gives each instance with a retention its own prune function and schedule, with its policy in the event', () => {
    pruneFunction('prod');
    pruneFunction('staging');
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function')).some((id) =>
        id.startsWith('RetentionPrunelab'),
      ),
    ).toBe(false);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      Target: Match.objectLike({
        Input: JSON.stringify({ instance: 'prod', keep: { daily: 7, weekly: 5, monthly: 12 } }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        DeadLetterConfig: Match.anyValue(),
      }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 5 * * ? *)',
      Target: Match.objectLike({
        Input: JSON.stringify({ instance: 'staging', keep: { last: 2, daily: 3, weekly: 2, monthly: 3 } }),
      }),
    });
    // 3 nightly backups, 3 verifies, 2 prunes.
    template.resourceCountIs('AWS::Scheduler::Schedule', 8);
  });

  it('lets a prune list, read and delete (never a version) under its own instance only, and decrypt; no secrets', () => {
    const [id] = pruneFunction('prod');
    const statements = statementsOf(id);
    const text = JSON.stringify(statements);

    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:GetObjectLegalHold', 's3:GetObjectRetention'],
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [expect.stringMatching(/^ArchivesBucket/), 'Arn'] }, '/archives/prod/*'],
          ],
        },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['archives/prod/*'] } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ArchivesKey/), 'Arn'] },
      }),
    );
    expect(text).not.toContain('DeleteObjectVersion');
    expect(text).not.toContain('s3:PutObject');
    expect(text).not.toContain('secretsmanager');
    expect(text).not.toContain('staging');
    expect(text).not.toMatch(/"archives\/\*"/);
  });

  it('alarms on a failed prune of each instance', () => {
    for (const instance of ['prod', 'staging']) {
      const [id] = pruneFunction(instance);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
        AlarmActions: [Match.anyValue()],
      });
    }
  });

  it('stops the lifecycle expiring current archives of pruned instances, keeps it for the others', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'NoncurrentVersions',
            Status: 'Enabled',
            NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            ExpiredObjectDeleteMarker: true,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
          { Id: 'Expire-archives-lab-', Status: 'Enabled', Prefix: 'archives/lab/', ExpirationInDays: 365 },
        ],
      },
    });
  });

  it('leaves cdk-nag nothing unacknowledged', () => {
    expect(nagViolations(synthesized.app)).toEqual([]);
  });
});

describe('retention configuration', () => {
  const instance = { name: 'a', secretName: 's' };

  it('refuses a retention that keeps nothing, a bad count, an unknown rule or schedule, naming the field', () => {
    expect(() =>
      parseConfig({ instances: [instance], retention: { daily: 0, weekly: 0, monthly: 0 } }),
    ).toThrow('"n8nArk": retention keeps nothing: give last, daily, weekly or monthly above 0');
    expect(() => parseConfig({ instances: [{ ...instance, retention: { daily: 7, weekly: 5 } }] })).toThrow(
      'instances[0].retention.monthly must be a whole number from 0 to 100000',
    );
    expect(() =>
      parseConfig({ instances: [instance], retention: { daily: -1, weekly: 1, monthly: 1 } }),
    ).toThrow('retention.daily must be a whole number');
    expect(() =>
      parseConfig({ instances: [instance], retention: { daily: 1, weekly: 1, monthly: 1, yearly: 2 } }),
    ).toThrow('retention.yearly is not a retention rule');
    expect(() =>
      parseConfig({
        instances: [instance],
        retention: { daily: 1, weekly: 1, monthly: 1, schedule: 'nightly' },
      }),
    ).toThrow('retention.schedule must be cron(...) or rate(...)');
  });

  it('gives instances the default, their own, or none', () => {
    const config = parseConfig({
      instances: [
        instance,
        { ...instance, name: 'b', retention: { last: 1, daily: 0, weekly: 0, monthly: 0 } },
        { ...instance, name: 'c', retention: false },
      ],
      retention: { daily: 7, weekly: 5, monthly: 12 },
    });
    expect(config.instances.map((i) => i.retention)).toEqual([
      { daily: 7, weekly: 5, monthly: 12, schedule: 'cron(0 4 * * ? *)' },
      { last: 1, daily: 0, weekly: 0, monthly: 0, schedule: 'cron(0 4 * * ? *)' },
      undefined,
    ]);
  });
});
