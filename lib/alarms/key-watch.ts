import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { AlarmTopic } from '../alarm-topic.js';
import { deadLetterQueue } from '../dead-letter-queue.js';
import { newDeadLetters, raise } from './alarm.js';

export interface ArchiveKeyWatchProps {
  key: kms.IKey;
  alarms: AlarmTopic;
  alarmAction: cloudwatch.IAlarmAction;
}

const WATCHED_CALLS = ['ScheduleKeyDeletion', 'DisableKey'];

/**
 * Tells a person at once when someone schedules the archive key's deletion or disables it: a deleted
 * key makes every archive unreadable, Object-Locked ones included, and deletion waits 7–30 days in
 * which it can be cancelled. An EventBridge rule on the CloudTrail records of those KMS calls for
 * this key (EventBridge receives them only where a CloudTrail trail logs management events) sends
 * who, what and when to the alarm topic; what EventBridge cannot deliver lands in a dead-letter
 * queue, watched by `KeyWatchDeadLetters`.
 */
export class ArchiveKeyWatch extends Construct {
  constructor(scope: Construct, id: string, props: ArchiveKeyWatchProps) {
    super(scope, id);
    const rule = new events.Rule(this, 'Rule', {
      description: 'n8n-ark: the archive key was scheduled for deletion or disabled',
      eventPattern: {
        source: ['aws.kms'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: WATCHED_CALLS,
          requestParameters: { keyId: [props.key.keyArn, props.key.keyId] },
        },
      },
    });
    // EventBridge cannot send to a queue under the AWS-managed aws/sqs key: SQS-managed encryption.
    const deadLetters = deadLetterQueue(this, 'DeadLetters', {
      of: 'the rule’s target (an EventBridge dead-letter config, which cdk-nag does not see)',
      unseenBy: ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      encryption: 'sqs-managed',
    });
    deadLetters.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deadLetters.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    const message = events.RuleTargetInput.fromText(
      `n8n-ark: ${events.EventField.fromPath('$.detail.userIdentity.arn')} called ` +
        `${events.EventField.fromPath('$.detail.eventName')} on the archive key ${props.key.keyArn} at ` +
        `${events.EventField.fromPath('$.time')}. Deleting the key makes every archive unreadable; ` +
        'cancel with: aws kms cancel-key-deletion --key-id <key>, then aws kms enable-key --key-id <key>.',
    );
    rule.addTarget(props.alarms.eventTarget(rule, message, deadLetters));
    raise(
      this,
      'KeyWatchDeadLetters',
      {
        description: 'EventBridge could not deliver a warning about the archive key to the alarm topic',
        metric: newDeadLetters(deadLetters),
      },
      props.alarmAction,
    );
  }
}
