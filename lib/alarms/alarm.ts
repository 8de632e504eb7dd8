import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface AlarmSpec {
  description: string;
  metric: cloudwatch.IMetric;
  /** Default: at or above 1. `below`: under 1 (a success count that went missing). */
  below?: boolean;
  /** Periods evaluated, all of which must breach; default 1. */
  periods?: number;
  /** Default false: no data is not a problem (another alarm watches absence). */
  missingBreaches?: boolean;
}

/** An alarm that notifies `action` when it goes off: every n8n-ark alarm is made here. */
export function raise(
  scope: Construct,
  id: string,
  spec: AlarmSpec,
  action: cloudwatch.IAlarmAction,
): cloudwatch.Alarm {
  const periods = spec.periods ?? 1;
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: spec.description,
    metric: spec.metric,
    threshold: 1,
    evaluationPeriods: periods,
    datapointsToAlarm: periods,
    comparisonOperator: spec.below
      ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
      : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: spec.missingBreaches
      ? cloudwatch.TreatMissingData.BREACHING
      : cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(action);
  return alarm;
}

const FIVE_MINUTES = Duration.minutes(5);

const perFiveMinutes = (
  label: string,
  expression: string,
  usingMetrics: Record<string, cloudwatch.IMetric>,
) => new cloudwatch.MathExpression({ label, expression, usingMetrics, period: FIVE_MINUTES });

/**
 * New messages in a dead-letter queue, per five minutes: fires again for each new dead letter while
 * older ones wait, and clears by itself. Lambda and the schedulers put their dead letters with
 * SendMessage (counted as sent); the rise of the visible count catches any that arrive otherwise.
 */
export function newDeadLetters(queue: sqs.IQueue): cloudwatch.IMetric {
  return perFiveMinutes('new dead letters', 'MAX([FILL(sent, 0), DIFF(FILL(visible, 0))])', {
    sent: queue.metricNumberOfMessagesSent({ period: FIVE_MINUTES, statistic: 'Sum' }),
    visible: queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
  });
}

/** Executions that ended badly, per five minutes: failed, timed out (the 24 h limit) or aborted. */
export function endedBadly(machine: sfn.IStateMachine): cloudwatch.IMetric {
  const sum = { period: FIVE_MINUTES, statistic: 'Sum' };
  return perFiveMinutes(
    'executions failed, timed out or aborted',
    'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    {
      failed: machine.metricFailed(sum),
      timedOut: machine.metricTimedOut(sum),
      aborted: machine.metricAborted(sum),
    },
  );
}

export { FIVE_MINUTES };
