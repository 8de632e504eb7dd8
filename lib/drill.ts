import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ArkFunction } from './ark-function.js';
import type { InstanceConfig } from './config.js';

export interface RestoreDrillsProps {
  /** Every configured instance; those with `drill` get a schedule and alarms. */
  instances: readonly InstanceConfig[];
  bucket: s3.IBucket;
  /** The archives' key (the drill writes its ledger and report beside the archive, SSE-KMS). */
  archiveKey: kms.IKey;
  /** Key prefix the archives live under. */
  prefix: string;
  /** The functions' shared environment (bucket, prefix, key, instances). */
  environment: Record<string, string>;
  topic: sns.ITopic;
  /** Alarm action: the stack's notification. */
  alarmAction: cloudwatch.IAlarmAction;
  metricNamespace: string;
}

/**
 * Scheduled restore drills (docs/OPERATIONS.md "Restore drills"): per instance with `drill`, a
 * schedule starts a state machine that prepares (newest archive; the scratch instance refused unless
 * marked as a drill target, then wiped), restores in bounded slices as the restore machine does,
 * then compares the scratch with the archive and writes the report beside it. The verdict goes to
 * the topic with the report's S3 and console links, and becomes the metric `DrillSucceeded`
 * (namespace `metricNamespace`, dimension Instance). Alarms: a drill failed; no drill passed in
 * `alarmAfterDays` days; a drill execution failed (refused scratch, crash). Nothing is created when
 * no instance has a drill.
 */
export class RestoreDrills extends Construct {
  readonly machine?: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RestoreDrillsProps) {
    super(scope, id);
    const drilled = props.instances.filter(
      (i): i is InstanceConfig & { drill: NonNullable<InstanceConfig['drill']> } => i.drill !== undefined,
    );
    if (drilled.length === 0) return;
    const fn = this.drillFunction(props, drilled);
    const machine = this.stateMachine(fn, props);
    this.machine = machine;
    for (const instance of drilled) {
      new scheduler.Schedule(this, `Schedule-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression(instance.drill.schedule),
        description: `n8n-ark restore drill of the newest ${instance.name} archive`,
        target: new targets.StepFunctionsStartExecution(machine, {
          input: scheduler.ScheduleTargetInput.fromObject({ instance: instance.name }),
          deadLetterQueue: fn.deadLetterQueue,
          retryAttempts: 2,
        }),
      });
      this.alarms(instance.name, instance.drill.alarmAfterDays, props);
    }
    new cloudwatch.Alarm(this, 'ExecutionFailed', {
      alarmDescription: 'A restore drill execution failed (drill failed, scratch refused, or a crash)',
      metric: machine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(props.alarmAction);
  }

  private drillFunction(
    props: RestoreDrillsProps,
    drilled: readonly (InstanceConfig & { drill: { targetSecret: string } })[],
  ) {
    const drill = new ArkFunction(this, 'Drill', {
      handler: 'drill',
      environment: {
        ...props.environment,
        DRILL_TARGETS: JSON.stringify(Object.fromEntries(drilled.map((i) => [i.name, i.drill.targetSecret]))),
      },
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    // Archives, ledgers and reports under the prefix only; the scratch instances' secrets only.
    props.bucket.grantReadWrite(drill.fn, `${props.prefix}/*`);
    props.archiveKey.grantEncryptDecrypt(drill.fn);
    drill.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.prefix}/*`] } },
      }),
    );
    for (const instance of drilled)
      secretsmanager.Secret.fromSecretNameV2(
        this,
        `Target-${instance.name}`,
        instance.drill.targetSecret,
      ).grantRead(drill.fn);
    return drill;
  }

  private stateMachine(drill: ArkFunction, props: RestoreDrillsProps): sfn.StateMachine {
    const invoke = (
      name: string,
      payload: Record<string, unknown>,
      resultSelector: Record<string, string>,
      resultPath: string,
    ) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: drill.fn,
        payload: sfn.TaskInput.fromObject(payload),
        resultSelector,
        resultPath,
        retryOnServiceExceptions: true,
      });
    const prepare = invoke(
      'Prepare scratch',
      { mode: 'prepare', 'instance.$': '$.instance' },
      { 'drill.$': '$.Payload.drill', 'slice.$': '$.Payload.slice' },
      '$',
    );
    const slice = invoke(
      'Restore slice',
      { mode: 'slice', 'drill.$': '$.drill', 'steps.$': '$.slice.steps' },
      { 'done.$': '$.Payload.done', 'steps.$': '$.Payload.steps', 'outcome.$': '$.Payload.outcome' },
      '$.slice',
    );
    // As the restore machine: a slice that crashed is run again; the ledger keeps what it did.
    slice.addRetry({
      errors: ['Lambda.Unknown', 'Sandbox.Timedout', 'States.Timeout'],
      interval: Duration.minutes(1),
      backoffRate: 2,
      maxAttempts: 4,
    });
    const finish = invoke(
      'Compare and report',
      { mode: 'finish', 'drill.$': '$.drill', 'slice.$': '$.slice' },
      {
        'instance.$': '$.Payload.instance',
        'verdict.$': '$.Payload.verdict',
        'reasons.$': '$.Payload.reasons',
        'report.$': '$.Payload.report',
      },
      '$.result',
    );
    const notify = new tasks.SnsPublish(this, 'Notify', {
      topic: props.topic,
      message: sfn.TaskInput.fromObject({ 'drill.$': '$.result' }),
      subject: 'n8n-ark restore drill finished',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const verdict = new sfn.Choice(this, 'Passed?')
      .when(sfn.Condition.stringEquals('$.result.verdict', 'pass'), new sfn.Succeed(this, 'Drill passed'))
      .otherwise(new sfn.Fail(this, 'Drill failed', { error: 'DrillFailed', cause: 'see the drill report' }));
    const loop = new sfn.Choice(this, 'Restored?')
      .when(sfn.Condition.booleanEquals('$.slice.done', true), finish.next(notify).next(verdict))
      .otherwise(slice);
    const machine = new sfn.StateMachine(this, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(prepare.next(slice).next(loop)),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'MachineLogs', { retention: logs.RetentionDays.THREE_MONTHS }),
        level: sfn.LogLevel.ALL,
      },
    });
    const stack = Stack.of(this);
    const fnId = stack.resolve(stack.getLogicalId(drill.fn.node.defaultChild as CfnElement)) as string;
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
      reason: 'The drill state machine invokes the drill function (any version of it).',
    });
    // Publishing to a KMS-encrypted topic needs the topic's key.
    props.topic.masterKey?.grant(machine, 'kms:GenerateDataKey*', 'kms:Decrypt');
    return machine;
  }

  private alarms(instance: string, alarmAfterDays: number, props: RestoreDrillsProps): void {
    const metric = (statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: props.metricNamespace,
        metricName: 'DrillSucceeded',
        dimensionsMap: { Instance: instance },
        statistic,
        period,
      });
    new cloudwatch.Alarm(this, `Failed-${instance}`, {
      alarmDescription: `A restore drill of ${instance} failed (see the drill report in the notification)`,
      metric: metric('Minimum', Duration.hours(1)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(props.alarmAction);
    new cloudwatch.Alarm(this, `NoRecentPass-${instance}`, {
      alarmDescription: `No restore drill of ${instance} passed in ${alarmAfterDays} day(s)`,
      metric: metric('Maximum', Duration.days(1)),
      threshold: 1,
      evaluationPeriods: alarmAfterDays,
      datapointsToAlarm: alarmAfterDays,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }).addAlarmAction(props.alarmAction);
  }
}
