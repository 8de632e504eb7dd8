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
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
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
  it('schedule one nightly backup and one verify per backed-up instance, with the configured expression', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 4);
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

  it('run restores in a state machine that loops the restore slice, verifies, then notifies', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const definition = JSON.stringify(Object.values(machines)[0]?.Properties?.DefinitionString);
    expect(definition).toContain('Restore slice');
    expect(definition).toContain('Done?');
    expect(definition).toContain('Verify archive and target');
    expect(definition).toContain('Notify');
  });

  it('runs a crashed restore slice again, backing off past the time its lock says it was gone by', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const text = JSON.stringify(Object.values(machines)[0]?.Properties?.DefinitionString).replace(
      /\\"/g,
      '"',
    );
    const retry =
      '{"ErrorEquals":["Lambda.Unknown","Sandbox.Timedout","States.Timeout"],"IntervalSeconds":60,"MaxAttempts":4,"BackoffRate":2}';
    const at = text.indexOf(retry);

    expect(at).toBeGreaterThan(text.indexOf('"Restore slice":{'));
    expect(text.indexOf(retry, at + 1)).toBe(-1);
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
