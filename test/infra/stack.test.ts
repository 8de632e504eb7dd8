/** The stack synthesized from a three-instance configuration (one restore-only) with Object Lock and e-mail. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { idsOf, nagViolations, type Synthesized, synthesize } from './support/synth.js';

const config = {
  instances: [
    { name: 'prod', secretName: 'n8n-ark/prod' },
    { name: 'staging', secretName: 'n8n-ark/staging', schedule: 'cron(30 3 * * ? *)', history: 3 },
    { name: 'dr', secretName: 'n8n-ark/dr', backup: false },
  ],
  retentionDays: 120,
  archiveDays: 400,
  objectLock: { mode: 'GOVERNANCE' as const, days: 30 },
  alarmEmail: 'ops@example.com',
};

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  synthesized = synthesize(config);
  template = synthesized.template;
});

describe('archive bucket', () => {
  it('is versioned, KMS-encrypted with a rotating key, private, TLS-only and logs access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'archives/' }),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires archives after archiveDays, moves noncurrent versions to a colder class and deletes them after the retention, aborts stale uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 120 },
            ExpirationInDays: 400,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ],
      },
    });
  });

  it('applies Object Lock when configured', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
    });
  });
});

describe('functions', () => {
  it('run Node.js 24 on arm64 with explicit memory, timeout, tracing and a dead-letter queue', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x' },
    });
    expect(Object.keys(functions)).toHaveLength(3);
    expect(idsOf(template, 'AWS::Lambda::Function').map((id) => id.replace(/Function\w+$/, ''))).toEqual([
      'Backup',
      'Restore',
      'Verify',
    ]);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        MemorySize: expect.any(Number),
        Timeout: expect.any(Number),
        TracingConfig: { Mode: 'Active' },
        DeadLetterConfig: { TargetArn: expect.anything() },
        Handler: 'index.handler',
      });
    }
    template.resourceCountIs('AWS::Logs::LogGroup', 5);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('read only the configured instance secrets', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('secret:n8n-ark/prod-??????');
    expect(policies).toContain('secret:n8n-ark/staging-??????');
    expect(policies).not.toMatch(/"Resource":"\*"[^}]*secretsmanager/);
  });
});

describe('schedules and alarms', () => {
  it('schedule one nightly backup (the backup state machine started) and one verify per backed-up instance, with the configured expression', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 4);
    const [backupMachine] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).filter(
      (id) => id.startsWith('BackupMachine'),
    );
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: Match.objectLike({ Arn: { Ref: backupMachine } }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: Match.objectLike({ Input: JSON.stringify({ instance: 'prod', shrinkAlarmShare: 0.2 }) }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 * * ? *)',
      Target: Match.objectLike({
        Input: JSON.stringify({ instance: 'staging', history: 3, shrinkAlarmShare: 0.2 }),
      }),
    });
  });

  it('alarm on a failed backup and on 26 hours without a successful one (a nightly schedule plus 2 h), per backed-up instance', () => {
    for (const instance of ['prod', 'staging'])
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'BackupSuccess',
        Dimensions: [{ Name: 'Instance', Value: instance }],
        Period: 3600,
        EvaluationPeriods: 26,
        DatapointsToAlarm: 26,
        TreatMissingData: 'breaching',
        AlarmActions: [Match.anyValue()],
      });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BackupFailure',
      Dimensions: [{ Name: 'Instance', Value: 'staging' }],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  /** A state machine's definition, by the start of its logical id, with its quotes unescaped. */
  const definitionOf = (prefix: string) => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const [id] = Object.keys(machines).filter((m) => m.startsWith(prefix));
    return JSON.stringify(machines[id ?? '']?.Properties?.DefinitionString).replace(/\\"/g, '"');
  };
  const crashedRetry =
    '{"ErrorEquals":["Lambda.Unknown","Sandbox.Timedout","States.Timeout"],"IntervalSeconds":30,"MaxAttempts":6,"BackoffRate":2,"MaxDelaySeconds":300}';

  it('run restores in a state machine that loops the restore slice, verifies, then notifies', () => {
    const definition = definitionOf('RestoreMachine');
    for (const state of [
      '"Name the execution"',
      '"Restore slice"',
      '"Done?"',
      '"Verify archive and target"',
      '"Notify"',
    ])
      expect(definition).toContain(state);
    expect(definition).toContain('"Payload.$":"States.JsonMerge($.request, $.slicing, false)"');
  });

  it('runs a crashed restore or verify slice again, its lock taken over by its own execution', () => {
    const text = definitionOf('RestoreMachine');
    const first = text.indexOf(crashedRetry);

    expect(first).toBeGreaterThan(text.indexOf('"Restore slice":{'));
    expect(text.indexOf(crashedRetry, first + 1)).toBeGreaterThan(
      text.indexOf('"Verify archive and target":{'),
    );
  });

  it('backs up in a state machine: slices until published, a crashed one run again, a failed one abandoned and named', () => {
    const text = definitionOf('BackupMachine');

    for (const state of ['"Backup slice"', '"Published?"', '"Backup published"', '"Abandon the backup"'])
      expect(text).toContain(state);
    expect(text).toContain('"startedAt.$":"$$.Execution.StartTime"');
    expect(text).toContain(crashedRetry);
    expect(text).toContain(
      '"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.failure","Next":"Abandon the backup"}]',
    );
    expect(text).toContain(
      '"Backup failed":{"Type":"Fail","ErrorPath":"$.failure.Error","CausePath":"$.failure.Cause"}',
    );
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the AwsSolutions and Serverless packs', () => {
    expect(nagViolations(synthesized.app)).toEqual([]);
  });
});

describe('configuration', () => {
  it('refuses a bad cdk.json context with the field named', () => {
    expect(() => parseConfig({ instances: [{ name: 'bad name!', secretName: 'x' }] })).toThrow(
      /instances\[0\]\.name/,
    );
    expect(() => parseConfig({ instances: [{ name: 'a' }] })).toThrow(
      /instances\[0\]\.secretName is required/,
    );
    expect(() => parseConfig({ instances: [], objectLock: { mode: 'SOMETIMES', days: 1 } })).toThrow(
      /objectLock\.mode/,
    );
    expect(() => parseConfig({ instances: [{ name: 'a', secretName: 's', history: -1 }] })).toThrow(
      /instances\[0\]\.history must be a whole number/,
    );
    expect(parseConfig({ instances: [{ name: 'a', secretName: 's' }] }).instances[0]?.schedule).toBe(
      'cron(0 2 * * ? *)',
    );
  });
});
