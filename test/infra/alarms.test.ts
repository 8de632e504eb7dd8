/**
 * Alarm delivery and the alarms an operator needs, on the stack synthesized from a two-instance
 * configuration (one of them a restore-only target), and n8n-ark's own rule pack on the real stack
 * (its failing cases on small fixture stacks are in rule-pack.test.ts).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { checkTemplate } from '../../lib/rules/pack.js';
import type { CfnTemplate } from '../../lib/rules/template.js';
import { cdkContext, nagViolations, type Synthesized, synthesize } from './support/synth.js';

const cdkJson = { context: { n8nArk: cdkContext().n8nArk } };

let synthesized: Synthesized;
let template: Template;
let json: CfnTemplate;

beforeAll(() => {
  const { n8nArk } = cdkContext();
  const [prod, ...others] = n8nArk.instances;
  synthesized = synthesize({
    ...n8nArk,
    instances: [{ ...prod, name: 'prod', secretName: 'n8n-ark/prod', shrinkAlarmShare: 0.1 }, ...others],
  });
  ({ template, json } = synthesized);
});

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

  it("lets cloudwatch.amazonaws.com use the topic's key, only for this stack's alarms (their names start with the stack's)", () => {
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
                      ':alarm:N8nArk-*',
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

  it("lets CloudWatch publish through the topic policy (which replaces SNS's default), for this stack's alarms only", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':alarm:N8nArk-*'])] }),
              },
            },
          }),
        ]),
      },
    });
  });

  it('lets EventBridge publish for the archive-key rule alone, and use the topic key', () => {
    const [rule] = logicalIds('AWS::Events::Rule');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it("grants each publishing state machine's role the key actions publishing to the encrypted topic needs, and no wildcard", () => {
    const machineRoles = logicalIds('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'states.amazonaws.com' } })],
      }),
    });
    // The backup machine notifies no one itself: its function emits the backup's metrics.
    const publishing = machineRoles.filter((role) => !role.startsWith('BackupMachine'));
    expect(machineRoles).toHaveLength(3);
    expect(publishing).toHaveLength(2);
    for (const machineRole of publishing)
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: machineRole }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
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

/** The alarms' logical ids with the metrics (and expressions) each reads, as text. */
function alarmMetrics(): Map<string, string> {
  return new Map(
    Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => [
      id,
      JSON.stringify([alarm.Properties?.MetricName, alarm.Properties?.Dimensions, alarm.Properties?.Metrics]),
    ]),
  );
}

describe('alarms', () => {
  it('every alarm notifies the alarm topic', () => {
    const [topic] = logicalIds('AWS::SNS::Topic');
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(15);
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it("alarm on every new message in every function's dead-letter queue, the schedules' retries included", () => {
    const queues = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn.Properties.DeadLetterConfig.TargetArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
    );
    const metrics = [...alarmMetrics().values()];
    expect(queues).toHaveLength(5);
    for (const queue of queues) {
      const watching = metrics.filter((m) => m.includes(`"Fn::GetAtt":["${queue}","QueueName"]`));
      expect(watching, queue).toHaveLength(1);
      expect(watching[0]).toContain('"MetricName":"NumberOfMessagesSent"');
      expect(watching[0]).toContain('MAX([FILL(sent, 0), DIFF(FILL(visible, 0))])');
    }
  });

  it("alarm on the backup function's errors and throttles: a timeout or an out-of-memory kill reports no metric itself", () => {
    const backupFn = logicalIds('AWS::Lambda::Function').find((id) => id.startsWith('Backup'));
    for (const metricName of ['Errors', 'Throttles'])
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: backupFn } }],
        Period: 300,
        Statistic: 'Sum',
        Threshold: 1,
      });
  });

  it('alarm on the backup, the restore and the drill machines counting failed, timed-out and aborted executions', () => {
    const machines = logicalIds('AWS::StepFunctions::StateMachine');
    const metrics = [...alarmMetrics().values()];
    expect(machines).toHaveLength(3);
    for (const machine of machines) {
      const [watching] = metrics.filter((m) => m.includes(`"Ref":"${machine}"`));
      for (const name of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])
        expect(watching).toContain(`"MetricName":"${name}"`);
      expect(watching).toContain('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
    }
  });

  it('alarm when the verify fails, on its error count per hour: a new failure alarms again, a dead letter does not hold it on', () => {
    const verifyFn = logicalIds('AWS::Lambda::Function').find((id) => id.startsWith('Verify'));
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmDescription: Match.stringLikeRegexp('^The verify failed') },
      }),
    );

    expect(alarm?.Properties).toMatchObject({
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: verifyFn } }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(JSON.stringify(alarm)).not.toContain('ApproximateNumberOfMessagesVisible');
  });

  it('alarm per backed-up instance when its backup shrank, any kind with rows included (the BackupShrank metric the backup emits)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'n8n-ark',
      MetricName: 'BackupShrank',
      Dimensions: [{ Name: 'Instance', Value: 'prod' }],
      Statistic: 'Maximum',
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp(
        'a kind \\(workflows, data-table rows, …\\) fell by more than 10 %',
      ),
      AlarmActions: [Match.anyValue()],
    });
    expect(logicalIds('AWS::CloudWatch::Alarm', { MetricName: 'BackupShrank' })).toHaveLength(1);
  });

  it("passes each instance's shrink share to its backup (per instance, else the stack's default)", () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Input: JSON.stringify({ instance: 'prod', shrinkAlarmShare: 0.1 }) }),
    });
  });

  it("waits the backup schedule's longest gap plus 2 hours before NoRecentBackup: 74 h for weekdays only", () => {
    const weekdays = synthesize({
      instances: [{ name: 'prod', secretName: 'n8n-ark/prod', schedule: 'cron(0 2 ? * MON-FRI *)' }],
    }).template;
    weekdays.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BackupSuccess',
      Period: 3600,
      EvaluationPeriods: 74,
      DatapointsToAlarm: 74,
      AlarmDescription: Match.stringLikeRegexp('in 74 hours'),
    });
  });

  it('sends who scheduled the deletion of the archive key, or disabled it, to the topic at once', () => {
    const key = logicalIds('AWS::KMS::Key').find((id) => id.startsWith('ArchivesKey'));
    const [topic] = logicalIds('AWS::SNS::Topic');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.kms'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: ['ScheduleKeyDeletion', 'DisableKey'],
          requestParameters: { keyId: [{ 'Fn::GetAtt': [key, 'Arn'] }, { Ref: key }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: topic },
          DeadLetterConfig: { Arn: Match.anyValue() },
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({ 'detail-eventName': '$.detail.eventName' }),
          }),
        }),
      ],
    });
  });

  it("alarm when SNS cannot deliver a notification, and on the e-mail subscription's dead letters", () => {
    const [topic] = logicalIds('AWS::SNS::Topic');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [topic, 'TopicName'] } }],
    });
    const queue = logicalIds('AWS::SQS::Queue').find((id) => id.startsWith('AlarmsDeliveryDeadLetters'));
    expect(
      [...alarmMetrics().values()].filter((m) => m.includes(`"Fn::GetAtt":["${queue}","QueueName"]`)),
    ).toHaveLength(1);
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
    const backupRole = logicalIds('AWS::IAM::Role').find((id) => id.startsWith('BackupRole'));
    const backupPolicy = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: backupRole }] } }),
    );
    expect(JSON.stringify(backupPolicy)).toContain('secret:n8n-ark/prod-??????');
    expect(JSON.stringify(backupPolicy)).not.toContain('secret:n8n-ark/dr-');
  });

  it('lets the restore function read exactly the configured credential-secret prefix', () => {
    const restoreRole = logicalIds('AWS::IAM::Role').find((id) => id.startsWith('RestoreRole'));
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
    expect(nagViolations(synthesized.app)).toEqual([]);
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
