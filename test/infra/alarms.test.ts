/**
 * Alarm delivery and the alarms an operator needs, on the stack synthesized from a two-instance
 * configuration (one of them a restore-only target), and n8n-ark's own rule pack on the real stack
 * (its failing cases on small fixture stacks are in rule-pack.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { N8nArkStack } from '../../lib/n8n-ark-stack.js';
import { checkTemplate } from '../../lib/rules/pack.js';
import type { CfnTemplate } from '../../lib/rules/template.js';

const root = join(import.meta.dirname, '..', '..');
const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
  context: { n8nArk: unknown } & Record<string, unknown>;
};

let app: App;
let template: Template;
let json: CfnTemplate;

beforeAll(() => {
  const { n8nArk, ...flags } = cdkJson.context;
  const config = parseConfig(n8nArk);
  config.instances[0] = { ...(config.instances[0] as (typeof config.instances)[0]), shrinkAlarmShare: 0.1 };
  app = new App({ context: flags });
  template = Template.fromStack(new N8nArkStack(app, 'N8nArk', { config }));
  json = template.toJSON() as CfnTemplate;
  // Synthesis bundles three functions with esbuild: minutes on a loaded machine.
}, 300_000);

const logicalIds = (type: string, props: Record<string, unknown> = {}) =>
  Object.keys(template.findResources(type, { Properties: props }));

function alarmKeyId(): string {
  const [topic] = Object.values(template.findResources('AWS::SNS::Topic'));
  const key = topic?.Properties?.KmsMasterKeyId as { 'Fn::GetAtt'?: string[] } | undefined;
  return key?.['Fn::GetAtt']?.[0] ?? '';
}

describe('alarm delivery', () => {
  it('encrypts the alarm topic with a key of its own, not the archive key', () => {
    const key = alarmKeyId();
    const encryption = Object.values(template.findResources('AWS::S3::Bucket')).map((b) =>
      JSON.stringify(b.Properties?.BucketEncryption),
    );
    const archiveBucket = encryption.find((e) => e.includes('KMSMasterKeyID'));

    expect(json.Resources?.[key]?.Type).toBe('AWS::KMS::Key');
    expect(archiveBucket).toMatch(/"KMSMasterKeyID":\{"Fn::GetAtt":\["ArchivesKey\w+","Arn"\]\}/);
    expect(archiveBucket).not.toContain(key);
  });

  it("lets cloudwatch.amazonaws.com use the topic's key, only for alarms of this account and region", () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
  });

  it("grants the restore state machine's role the key actions publishing to the encrypted topic needs", () => {
    const [machineRole] = logicalIds('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'states.amazonaws.com' } })],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: machineRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: { 'Fn::GetAtt': [alarmKeyId(), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('sends what the e-mail subscription could not deliver to a queue under the topic key, which SNS may use', () => {
    const [queue] = logicalIds('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [alarmKeyId(), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });
});

describe('alarms', () => {
  it('alarm when the daily verify fails: its errors or its dead-letter queue', () => {
    const verifyFn = logicalIds('AWS::Lambda::Function').find((id) => id.startsWith('VerifyFunction'));
    const verifyQueue = logicalIds('AWS::SQS::Queue').find((id) => id.startsWith('VerifyDeadLetters'));
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmDescription: Match.stringLikeRegexp('daily verify failed') },
      }),
    );
    const text = JSON.stringify(alarm?.Properties?.Metrics);

    expect(alarm?.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [expect.anything()],
    });
    expect(text).toContain('"MetricName":"Errors"');
    expect(text).toContain(`"Ref":"${verifyFn}"`);
    expect(text).toContain('"MetricName":"ApproximateNumberOfMessagesVisible"');
    expect(text).toContain(`"Fn::GetAtt":["${verifyQueue}","QueueName"]`);
  });

  it('alarm per backed-up instance when its backup shrank (the BackupShrank metric the backup emits)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'n8n-ark',
      MetricName: 'BackupShrank',
      Dimensions: [{ Name: 'Instance', Value: 'prod' }],
      Statistic: 'Maximum',
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('more than 10 % of the workflows'),
      AlarmActions: [Match.anyValue()],
    });
    expect(logicalIds('AWS::CloudWatch::Alarm', { MetricName: 'BackupShrank' })).toHaveLength(1);
  });

  it("passes each instance's shrink share to its backup (per instance, else the stack's default)", () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Input: JSON.stringify({ instance: 'prod', shrinkAlarmShare: 0.1 }) }),
    });
  });
});

describe('a restore-only instance (backup: false)', () => {
  it('has no backup, verify, prune or drill schedule and no backup alarms; prod has all four', () => {
    const schedules = JSON.stringify(template.findResources('AWS::Scheduler::Schedule'));
    const alarms = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'));
    const descriptions = Object.values(template.findResources('AWS::Scheduler::Schedule'))
      .map((s) => String(s.Properties?.Description).replace(/ \(keep .*\)$/, ''))
      .sort();

    // cdk.json gives every backed-up instance a retention, and prod a drill.
    expect(descriptions).toEqual([
      'n8n-ark backup of prod',
      'n8n-ark prune of prod',
      'n8n-ark restore drill of the newest prod archive',
      'n8n-ark verify of the newest prod archive',
    ]);
    expect(schedules).not.toContain('\\"dr\\"');
    expect(alarms).not.toContain('"Value":"dr"');
  });

  it('is unknown to the backup function, which may not read its secret; restore and verify know it', () => {
    const environments = Object.entries(template.findResources('AWS::Lambda::Function')).map(
      ([id, fn]) => [id, JSON.parse(fn.Properties?.Environment?.Variables?.INSTANCES ?? '{}')] as const,
    );
    for (const [id, instances] of environments) {
      if (id.startsWith('Backup')) expect(instances).toEqual({ prod: 'n8n-ark/prod' });
      else expect(instances).toEqual({ prod: 'n8n-ark/prod', dr: 'n8n-ark/dr' });
    }
    const backupRole = logicalIds('AWS::IAM::Role').find((id) => id.startsWith('BackupFunction'));
    const backupPolicy = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: backupRole }] } }),
    );
    expect(JSON.stringify(backupPolicy)).toContain('secret:n8n-ark/prod-??????');
    expect(JSON.stringify(backupPolicy)).not.toContain('secret:n8n-ark/dr-');
  });

  it('lets the restore function read exactly the configured credential-secret prefix', () => {
    const restoreRole = logicalIds('AWS::IAM::Role').find((id) => id.startsWith('RestoreFunction'));
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: restoreRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':secretsmanager:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':secret:n8n-ark/credentials/*',
                ],
              ],
            },
          },
        ]),
      },
    });
    const restoreFn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('RestoreFunction'),
    );
    expect(JSON.parse(restoreFn?.[1].Properties?.Environment?.Variables?.CREDENTIAL_SECRETS)).toEqual({
      dr: 'sm://n8n-ark/credentials',
    });
    const others = JSON.stringify(template.findResources('AWS::IAM::Policy')).match(/n8n-ark\/credentials/g);
    expect(others).toHaveLength(1);
  });

  it('leaves cdk-nag nothing unacknowledged', () => {
    const violations = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack.validateScope(app).violations.map((v) => v.ruleName),
    );
    expect(violations).toEqual([]);
  });
});

describe("n8n-ark's rule pack (test/infra/rule-pack.test.ts has its failing cases)", () => {
  it('passes the real stack', () => {
    expect(checkTemplate(json)).toEqual([]);
  });
});

describe('configuration of alarms and restore-only instances', () => {
  const base = { name: 'dr', secretName: 'n8n-ark/dr' };

  it('defaults: backed up, the stack share 0.2; cdk.json example has one backed-up and one restore-only instance', () => {
    const config = parseConfig({ instances: [base] });
    expect(config.shrinkAlarmShare).toBe(0.2);
    expect(config.instances[0]).toMatchObject({ backup: true });
    expect(parseConfig(cdkJson.context.n8nArk).instances.map((i) => [i.name, i.backup])).toEqual([
      ['prod', true],
      ['dr', false],
    ]);
  });

  it('refuses a backup setting on a restore-only instance, naming the instance and the setting', () => {
    expect(() =>
      parseConfig({ instances: [{ ...base, backup: false, schedule: 'cron(0 2 * * ? *)', history: 3 }] }),
    ).toThrow(
      'cdk.json context "n8nArk": instances[0] ("dr") has "backup": false, so "schedule", "history" would do nothing; remove it',
    );
    expect(() => parseConfig({ instances: [{ ...base, backup: 'no' }] })).toThrow(
      'instances[0] ("dr").backup must be true or false, not "no"',
    );
  });

  it('refuses a shrink share outside (0, 1), per instance and for the stack', () => {
    expect(() => parseConfig({ instances: [{ ...base, shrinkAlarmShare: 20 }] })).toThrow(
      'instances[0] ("dr").shrinkAlarmShare must be a share between 0 and 1 (0.2 = 20 % fewer workflows), not 20',
    );
    expect(() => parseConfig({ instances: [base], shrinkAlarmShare: 0 })).toThrow(
      '"shrinkAlarmShare" must be a share between 0 and 1',
    );
  });

  it('takes credential secrets only as an sm:// prefix without wildcard or trailing slash', () => {
    expect(
      parseConfig({ instances: [{ ...base, credentialSecrets: 'sm://n8n-ark/credentials' }] }).instances[0],
    ).toMatchObject({ credentialSecrets: 'sm://n8n-ark/credentials' });
    for (const credentialSecrets of ['n8n-ark/credentials', 'sm://', 'sm://a/*', 'sm://a/', './creds.json'])
      expect(() => parseConfig({ instances: [{ ...base, credentialSecrets }] }), credentialSecrets).toThrow(
        /instances\[0\] \("dr"\)\.credentialSecrets must be sm:\/\/<prefix>/,
      );
  });
});
