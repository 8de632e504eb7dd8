import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** An e-mail address subscribed to the topic (confirmed once by its owner). */
  email?: string;
}

/**
 * The SNS topic every alarm and notification goes to. Defaults it applies: its own customer-managed
 * KMS key with rotation, not the archive key, so that the services which must use it to publish are
 * given no way into the archives; a key policy that lets CloudWatch alarms of this account and
 * region publish (`kms:Decrypt` and `kms:GenerateDataKey*`, the key actions SNS asks of a publisher
 * to an encrypted topic), conditioned on `aws:SourceAccount` and `aws:SourceArn` against the
 * confused deputy; TLS-only publishing. An e-mail subscription, when given, sends what SNS could
 * not deliver to a dead-letter queue encrypted with the same key, which SNS may use (an SQS queue
 * under the AWS-managed `aws/sqs` key cannot take SNS's messages: that key's policy cannot name SNS).
 *
 * Roles that publish get the key actions through `grantPublish` (the Step Functions SNS task grants
 * `sns:Publish` alone). `lib/rules/` checks that every publisher of an encrypted topic has both.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly deliveryDeadLetters?: sqs.Queue;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'n8n-ark alarm topic',
      enableKeyRotation: true,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { enforceSSL: true, masterKey: this.key });
    if (!props.email) return;
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SnsDeliversToDeadLetters',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // The topic's ARN would make the key depend on the topic it encrypts: a cycle.
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.deliveryDeadLetters = new sqs.Queue(this, 'DeliveryDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deliveryDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the e-mail subscription (an SNS redrive policy, which cdk-nag does not see).',
    });
    this.topic.addSubscription(
      new subscriptions.EmailSubscription(props.email, { deadLetterQueue: this.deliveryDeadLetters }),
    );
  }
}
