import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ArkFunction } from './ark-function.js';

export interface OperationAlarmsProps {
  topic: sns.ITopic;
  /** Namespace of the metrics the functions emit (EMF). */
  namespace: string;
  /** The daily verify (its errors and its dead-letter queue). */
  verify: ArkFunction;
  /** The instances that are backed up, with the workflow-drop share their backups are judged by. */
  backedUp: { name: string; shrinkAlarmShare: number }[];
}

/**
 * Alarms beyond "the backup failed": the daily verify failed, and a backup that succeeded but
 * holds less than the one before it. Defaults it applies: every alarm notifies the topic; missing
 * data is not breaching (no verify or backup in a period is watched by the other alarms).
 *
 * - `VerifyFailed`: the verify function's errors plus the messages in its dead-letter queue
 *   (invocations the scheduler or Lambda gave up on), any in an hour. A damaged archive fails the
 *   verify, so this is also "last night's archive does not check out".
 * - `BackupShrank-<instance>`: the backup emits `BackupShrank` = 1 (EMF) when a resource is newly
 *   skipped or the workflow count fell by more than the instance's share versus the previous archive.
 */
export class OperationAlarms extends Construct {
  constructor(scope: Construct, id: string, props: OperationAlarmsProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.topic);
    const period = Duration.hours(1);
    const verifyFailures = new cloudwatch.MathExpression({
      label: 'verify errors + dead letters',
      expression: 'FILL(errors, 0) + FILL(deadLetters, 0)',
      usingMetrics: {
        errors: props.verify.fn.metricErrors({ period, statistic: 'Sum' }),
        deadLetters: props.verify.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: 'Maximum',
        }),
      },
      period,
    });
    new cloudwatch.Alarm(this, 'VerifyFailed', {
      alarmDescription:
        'The daily verify failed: an archive did not check out, the verify function erred, or its invocations are in its dead-letter queue',
      metric: verifyFailures,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);

    for (const instance of props.backedUp) {
      new cloudwatch.Alarm(this, `BackupShrank-${instance.name}`, {
        alarmDescription: `The newest backup of ${instance.name} holds less than the one before: a resource is newly skipped, or more than ${Math.round(instance.shrinkAlarmShare * 100)} % of the workflows are gone`,
        metric: new cloudwatch.Metric({
          namespace: props.namespace,
          metricName: 'BackupShrank',
          dimensionsMap: { Instance: instance.name },
          statistic: 'Maximum',
          period,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
    }
  }
}
