import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ArkFunction } from './ark-function.js';
import type { InstanceConfig } from './config.js';

export interface RetentionProps {
  instances: InstanceConfig[];
  bucket: s3.IBucket;
  key: kms.IKey;
  /** Archives live under `<prefix>/<instance>/`. */
  prefix: string;
  /** The functions' environment (bucket, prefix, key, instances). */
  environment: Record<string, string>;
  /** Where a failed prune is announced. */
  alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * The scheduled prune (GFS retention, restic forget's rules): for each instance with a `retention`,
 * its own prune function and a schedule (daily at 04:00 UTC by default) invoking it with
 * `{instance, keep}`. Defaults it applies: 512 MB, 15 minutes (it verifies the newest archive
 * first); a role that may list, read and delete (a delete marker: no s3:DeleteObjectVersion, so
 * nothing is deleted for good) under that instance's prefix only, read Object Lock retention and
 * legal holds there, and decrypt with the archive key — no secrets, no other instance; an alarm
 * on any failed run.
 */
export class Retention extends Construct {
  /** Prune function per instance name. */
  readonly functions = new Map<string, ArkFunction>();

  constructor(scope: Construct, id: string, props: RetentionProps) {
    super(scope, id);
    for (const instance of props.instances) {
      if (!instance.retention) continue;
      const { schedule, ...keep } = instance.retention;
      const prune = new ArkFunction(this, `Prune-${instance.name}`, {
        handler: 'prune',
        environment: props.environment,
        memorySize: 512,
        timeout: Duration.minutes(15),
      });
      this.functions.set(instance.name, prune);
      grantPrune(prune, props, instance.name);
      new scheduler.Schedule(this, `Schedule-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression(schedule),
        description: `n8n-ark prune of ${instance.name} (keep ${JSON.stringify(keep)})`,
        target: new targets.LambdaInvoke(prune.fn, {
          input: scheduler.ScheduleTargetInput.fromObject({ instance: instance.name, keep }),
          deadLetterQueue: prune.deadLetterQueue,
          retryAttempts: 2,
        }),
      });
      const failed = new cloudwatch.Alarm(this, `PruneFailed-${instance.name}`, {
        alarmDescription: `A prune of ${instance.name} failed (nothing verifies, or the store refused)`,
        metric: prune.fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmAction) failed.addAlarmAction(props.alarmAction);
    }
  }
}

function grantPrune(prune: ArkFunction, props: RetentionProps, instance: string): void {
  const under = `${props.prefix}/${instance}/`;
  prune.fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [props.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${under}*`] } },
    }),
  );
  prune.fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectRetention', 's3:GetObjectLegalHold', 's3:DeleteObject'],
      resources: [props.bucket.arnForObjects(`${under}*`)],
    }),
  );
  props.key.grantDecrypt(prune.fn);
  const stack = Stack.of(prune);
  const bucketId = stack.getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket);
  Validations.of(prune).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${under}*]`,
    reason: `Archives are written under dated keys below ${under}; the prune reads and deletes only there.`,
  });
  // The scheduler's role is the stack's, shared by every schedule.
  const functionId = stack.getLogicalId(prune.fn.node.defaultChild as lambda.CfnFunction);
  Validations.of(stack).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
    reason: `EventBridge Scheduler invokes the prune function of ${instance} (any version of it).`,
  });
}

/**
 * The key prefixes whose current archives the bucket's lifecycle may still expire: those of the
 * instances without a prune. Undefined when no instance has one (the whole bucket expires, as before).
 */
export function expiringPrefixes(instances: InstanceConfig[], prefix: string): string[] | undefined {
  if (!instances.some((i) => i.retention)) return undefined;
  return instances.filter((i) => !i.retention).map((i) => `${prefix}/${i.name}/`);
}
