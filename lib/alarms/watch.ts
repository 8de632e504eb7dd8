import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AlarmTopic } from '../alarm-topic.js';
import type { ArkFunction } from '../ark-function.js';
import { FIVE_MINUTES, newDeadLetters, raise } from './alarm.js';

export interface OperationWatchProps {
  /** Every function of the deployment: each one's dead-letter queue is watched. */
  functions: readonly ArkFunction[];
  verify: ArkFunction;
  alarms: AlarmTopic;
  alarmAction: cloudwatch.IAlarmAction;
}

/**
 * Alarms on what fails outside any one job:
 * - `DeadLetters-<function>`: an asynchronous invocation of the function (by its schedules) that
 *   Lambda or EventBridge Scheduler gave up on, each new one (lib/alarms/alarm.ts newDeadLetters);
 * - `VerifyFailed`: the verify function erred (a damaged archive, or the restore machine's
 *   comparison could not run), counted per hour, so a new failure alarms again;
 * - `AlarmDeliveryFailed`: SNS could not deliver a notification to a subscriber (an e-mail address
 *   that bounces), and `AlarmDeadLetters`: such notifications in the subscription's dead-letter queue.
 *   Both go to the same topic: they are for the console and for any second subscription.
 */
export class OperationWatch extends Construct {
  constructor(scope: Construct, id: string, props: OperationWatchProps) {
    super(scope, id);
    const { alarmAction } = props;
    for (const fn of props.functions)
      raise(
        this,
        `DeadLetters-${fn.node.id}`,
        {
          description: `An invocation of the ${fn.node.id} function was given up on: it is in that function's dead-letter queue`,
          metric: newDeadLetters(fn.deadLetterQueue),
        },
        alarmAction,
      );
    raise(
      this,
      'VerifyFailed',
      {
        description: 'The verify failed: an archive did not check out, or the verify function erred',
        metric: props.verify.fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      },
      alarmAction,
    );
    raise(
      this,
      'AlarmDeliveryFailed',
      {
        description: 'SNS could not deliver an n8n-ark notification to a subscriber',
        metric: props.alarms.topic.metricNumberOfNotificationsFailed({
          period: FIVE_MINUTES,
          statistic: 'Sum',
        }),
      },
      alarmAction,
    );
    if (props.alarms.deliveryDeadLetters)
      raise(
        this,
        'AlarmDeadLetters',
        {
          description:
            'An n8n-ark notification SNS could not deliver is in the subscription’s dead-letter queue',
          metric: newDeadLetters(props.alarms.deliveryDeadLetters),
        },
        alarmAction,
      );
  }
}
