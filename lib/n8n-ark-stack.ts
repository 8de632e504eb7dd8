import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic.js';
import { OperationAlarms } from './alarms.js';
import { ArchiveBucket } from './archive-bucket.js';
import { ArkFunction } from './ark-function.js';
import type { ArkConfig } from './config.js';
import { credentialSecretsByTarget, grantCredentialSecrets } from './credential-secrets.js';
import { RestoreDrills } from './drill.js';
import { expiringPrefixes, Retention } from './retention.js';

export const METRIC_NAMESPACE = 'n8n-ark';
const PREFIX = 'archives';

export interface N8nArkStackProps extends StackProps {
  config: ArkConfig;
}

/**
 * n8n-ark on AWS: a versioned, encrypted archive bucket; one nightly EventBridge Scheduler schedule
 * per instance invoking the backup Lambda; a daily verify of each instance's newest archive; a
 * Step Functions state machine that runs restores of any size in bounded slices, then verifies;
 * alarms on failed backups, on "no successful backup in 26 hours", on shrunk backups, on failed
 * verifies and on failed restores → an SNS topic under its own key (alarm-topic.ts, alarms.ts).
 * Instances with `backup: false` get no schedule, verify or backup alarm: they are restore targets.
 */
export class N8nArkStack extends Stack {
  constructor(scope: Construct, id: string, props: N8nArkStackProps) {
    super(scope, id, props);
    const { config } = props;
    const archives = new ArchiveBucket(this, 'Archives', {
      retentionDays: config.retentionDays,
      archiveDays: config.archiveDays,
      ...(config.objectLock ? { objectLock: config.objectLock } : {}),
      expireCurrentUnder: expiringPrefixes(config.instances, PREFIX),
    });
    const secrets = config.instances.map((i) =>
      secretsmanager.Secret.fromSecretNameV2(this, `Secret-${i.name}`, i.secretName),
    );
    const backedUp = config.instances.filter((i) => i.backup);
    const environment = {
      ARCHIVE_BUCKET: archives.bucket.bucketName,
      ARCHIVE_PREFIX: PREFIX,
      KMS_KEY_ID: archives.key.keyArn,
      INSTANCES: JSON.stringify(Object.fromEntries(config.instances.map((i) => [i.name, i.secretName]))),
    };

    const backup = new ArkFunction(this, 'Backup', {
      handler: 'backup',
      // Restore-only instances are unknown to the backup function: it cannot back them up by mistake.
      environment: {
        ...environment,
        INSTANCES: JSON.stringify(Object.fromEntries(backedUp.map((i) => [i.name, i.secretName]))),
      },
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    const restore = new ArkFunction(this, 'Restore', {
      handler: 'restore',
      environment: { ...environment, CREDENTIAL_SECRETS: credentialSecretsByTarget(config) },
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    const verify = new ArkFunction(this, 'Verify', {
      handler: 'verify',
      environment,
      memorySize: 512,
      timeout: Duration.minutes(10),
    });

    // Least privilege: archives only under the prefix, only the configured secrets.
    archives.bucket.grantReadWrite(backup.fn, `${PREFIX}/*`);
    archives.bucket.grantReadWrite(restore.fn, `${PREFIX}/*`);
    archives.bucket.grantRead(verify.fn, `${PREFIX}/*`);
    // The verify function reads a target's secret to compare it with the archive after a restore.
    config.instances.forEach((instance, i) => {
      const secret = secrets[i];
      if (!secret) return;
      for (const fn of instance.backup ? [backup.fn, restore.fn, verify.fn] : [restore.fn, verify.fn])
        secret.grantRead(fn);
    });
    grantCredentialSecrets(this, restore, config);
    archives.key.grantEncryptDecrypt(backup.fn);
    archives.key.grantEncryptDecrypt(restore.fn);
    archives.key.grantDecrypt(verify.fn);
    // Listing archives (newest first, and versions) needs ListBucket on the bucket, scoped to the prefix.
    for (const fn of [backup.fn, restore.fn, verify.fn]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket', 's3:ListBucketVersions'],
          resources: [archives.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${PREFIX}/*`] } },
        }),
      );
    }

    const { topic } = new AlarmTopic(this, 'Alarms', config.alarmEmail ? { email: config.alarmEmail } : {});
    const notify = new actions.SnsAction(topic);
    new OperationAlarms(this, 'OperationAlarms', {
      topic,
      namespace: METRIC_NAMESPACE,
      verify,
      backedUp: backedUp.map((i) => ({
        name: i.name,
        shrinkAlarmShare: i.shrinkAlarmShare ?? config.shrinkAlarmShare,
      })),
    });
    const { bucket, key } = archives;
    new Retention(this, 'Retention', {
      instances: backedUp,
      bucket,
      key,
      prefix: PREFIX,
      environment,
      alarmAction: notify,
    });

    for (const instance of backedUp) {
      new scheduler.Schedule(this, `Nightly-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression(instance.schedule),
        description: `n8n-ark backup of ${instance.name}`,
        target: new targets.LambdaInvoke(backup.fn, {
          input: scheduler.ScheduleTargetInput.fromObject({
            instance: instance.name,
            ...(instance.history !== undefined ? { history: instance.history } : {}),
            shrinkAlarmShare: instance.shrinkAlarmShare ?? config.shrinkAlarmShare,
          }),
          deadLetterQueue: backup.deadLetterQueue,
          retryAttempts: 2,
        }),
      });
      new scheduler.Schedule(this, `Verify-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression('cron(0 6 * * ? *)'),
        description: `n8n-ark verify of the newest ${instance.name} archive`,
        target: new targets.LambdaInvoke(verify.fn, {
          input: scheduler.ScheduleTargetInput.fromObject({ instance: instance.name }),
          deadLetterQueue: verify.deadLetterQueue,
        }),
      });
      const metric = (name: string, period: Duration) =>
        new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: name,
          dimensionsMap: { Instance: instance.name },
          statistic: 'Sum',
          period,
        });
      new cloudwatch.Alarm(this, `BackupFailed-${instance.name}`, {
        alarmDescription: `A backup of ${instance.name} failed`,
        metric: metric('BackupFailure', Duration.hours(1)),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
      new cloudwatch.Alarm(this, `NoRecentBackup-${instance.name}`, {
        alarmDescription: `No successful backup of ${instance.name} in 26 hours`,
        metric: metric('BackupSuccess', Duration.hours(1)),
        threshold: 1,
        evaluationPeriods: 26,
        datapointsToAlarm: 26,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }).addAlarmAction(notify);
    }

    const slice = new tasks.LambdaInvoke(this, 'Restore slice', {
      lambdaFunction: restore.fn,
      payload: sfn.TaskInput.fromJsonPathAt('$.request'),
      resultSelector: {
        'done.$': '$.Payload.done',
        'ledgerKey.$': '$.Payload.ledgerKey',
        'summary.$': '$.Payload.summary',
      },
      resultPath: '$.slice',
      retryOnServiceExceptions: true,
    });
    // A slice that crashed (out of memory, or killed at its timeout before it could stop) is run
    // again: the ledger keeps what it did, and its lock names the time it was certainly gone by.
    slice.addRetry({
      errors: ['Lambda.Unknown', 'Sandbox.Timedout', 'States.Timeout'],
      interval: Duration.minutes(1),
      backoffRate: 2,
      maxAttempts: 4,
    });
    // Checksums again, then the target against the archive (as `n8n-ark diff`): what did not land.
    const check = new tasks.LambdaInvoke(this, 'Verify archive and target', {
      lambdaFunction: verify.fn,
      payload: sfn.TaskInput.fromJsonPathAt('$.request'),
      resultSelector: { 'target.$': '$.Payload.target', 'entriesChecked.$': '$.Payload.entriesChecked' },
      resultPath: '$.verify',
      retryOnServiceExceptions: true,
    });
    const done = new tasks.SnsPublish(this, 'Notify', {
      topic,
      message: sfn.TaskInput.fromObject({
        'restore.$': '$.slice.summary',
        'comparison.$': '$.verify.target',
      }),
      subject: 'n8n-ark restore finished',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const loop = new sfn.Choice(this, 'Done?')
      .when(sfn.Condition.booleanEquals('$.slice.done', true), check.next(done))
      .otherwise(slice);
    const machine = new sfn.StateMachine(this, 'RestoreMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(slice.next(loop)),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'RestoreMachineLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
        }),
        level: sfn.LogLevel.ALL,
      },
    });
    // The SNS task grants sns:Publish alone; the topic's key must let the machine encrypt too.
    topic.grantPublish(machine);
    new cloudwatch.Alarm(this, 'RestoreFailed', {
      alarmDescription: 'A restore or migration run failed',
      metric: machine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);

    new RestoreDrills(this, 'Drills', {
      instances: config.instances,
      bucket: archives.bucket,
      archiveKey: archives.key,
      prefix: PREFIX,
      environment,
      topic,
      alarmAction: notify,
      metricNamespace: METRIC_NAMESPACE,
    });

    acknowledgeReviewedFindings(this);
  }
}

/** cdk-nag findings reviewed and accepted, each with the reason a reviewer can check. */
function acknowledgeReviewedFindings(stack: Stack): void {
  const wildcard = (finding: string, reason: string) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  Validations.of(stack).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The Lambda basic execution role only allows writing the function’s own CloudWatch Logs.',
    },
    wildcard(
      'Resource::*',
      'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) has no resource-level permissions.',
    ),
    wildcard(
      'Resource::<ArchivesBucketD5C337A9.Arn>/archives/*',
      'Archives are created under dated keys below the archives/ prefix; access is limited to that prefix.',
    ),
    wildcard(
      'Action::s3:GetObject*',
      'Generated by bucket.grantRead: object reads (incl. versions, for restoring an older archive) under the archives/ prefix only.',
    ),
    wildcard(
      'Action::s3:GetBucket*',
      'Generated by bucket.grantRead: bucket metadata reads on the archive bucket only.',
    ),
    wildcard(
      'Action::s3:List*',
      'Generated by bucket.grantRead: listing archives and their versions in the archive bucket only.',
    ),
    wildcard(
      'Action::s3:DeleteObject*',
      'Generated by bucket.grantReadWrite: aborting a failed multipart upload and replacing a ledger, under archives/ only; Object Lock and versioning keep archives.',
    ),
    wildcard(
      'Action::s3:Abort*',
      'Generated by bucket.grantReadWrite: a failed upload must abort its multipart upload (no orphan parts).',
    ),
    wildcard(
      'Action::kms:ReEncrypt*',
      'Generated by key.grantEncryptDecrypt on the stack’s own archive key only.',
    ),
    wildcard(
      'Action::kms:GenerateDataKey*',
      'Generated by key.grantEncryptDecrypt on the stack’s own archive key only (SSE-KMS multipart uploads), and by topic.grantPublish on the alarm topic’s own key only (SNS encrypts each message with a data key).',
    ),
    wildcard(
      'Resource::<BackupFunction2B54E943.Arn>:*',
      'EventBridge Scheduler invokes the backup function (any version of it).',
    ),
    wildcard(
      'Resource::<VerifyFunction0C87FB6B.Arn>:*',
      'The scheduler and the restore state machine invoke the verify function (any version of it).',
    ),
    wildcard(
      'Resource::<RestoreFunction07574348.Arn>:*',
      'The restore state machine invokes the restore function (any version of it).',
    ),
    {
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'These queues are the dead-letter queues themselves; a DLQ of a DLQ adds nothing.',
    },
  );
}
