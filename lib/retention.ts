import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { FIVE_MINUTES, raise } from './alarms/alarm.js';
import type { ArchivesRef } from './archive-access.js';
import { ArkFunction, type FunctionNetwork } from './ark-function.js';
import type { InstanceConfig } from './config/index.js';
import { logicalIdOf } from './logical-id.js';

export interface RetentionProps extends ArchivesRef {
  instances: InstanceConfig[];
  /** The functions' environment (bucket, prefix, key, instances). */
  environment: Record<string, string>;
  /** Where a failed prune is announced. */
  alarmAction: cloudwatch.IAlarmAction;
  network?: FunctionNetwork;
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
        ...(props.network ? { network: props.network } : {}),
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
          role: prune.schedulerRole(),
        }),
      });
      raise(
        this,
        `PruneFailed-${instance.name}`,
        {
          description: `A prune of ${instance.name} failed (nothing verifies, the store refused, or the function crashed)`,
          metric: prune.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        props.alarmAction,
      );
    }
  }
}

function grantPrune(prune: ArkFunction, { archives, prefix }: ArchivesRef, instance: string): void {
  const under = `${prefix}/${instance}/`;
  prune.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [archives.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${under}*`] } },
    }),
  );
  prune.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectRetention', 's3:GetObjectLegalHold', 's3:DeleteObject'],
      resources: [archives.bucket.arnForObjects(`${under}*`)],
    }),
  );
  archives.key.grant(prune.role, 'kms:Decrypt');
  Validations.of(prune.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(archives.bucket)}.Arn>/${under}*]`,
    reason: `Archives are written under dated keys below ${under}; the prune reads and deletes (delete markers only) there only.`,
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
