import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';

export interface AlarmTopicProps {
  /** An e-mail address subscribed to the topic (confirmed once by its owner). */
  email?: string;
}

const CLOUDWATCH = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
const EVENTS = new iam.ServicePrincipal('events.amazonaws.com');
/** The KMS calls SNS makes on behalf of a publisher to a topic under a customer-managed key. */
const PUBLISHER_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * The ARNs of this stack's alarms. CloudFormation names an alarm it names itself
 * `<stack name>-<logical id>-<suffix>`, so the pattern covers every alarm of this stack and no other.
 */
export function stackAlarmArns(scope: Construct): string {
  const stack = Stack.of(scope);
  return stack.formatArn({
    service: 'cloudwatch',
    resource: 'alarm',
    resourceName: `${stack.stackName}-*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The SNS topic every alarm and notification goes to, and the whole path to it. Defaults it applies:
 * its own customer-managed KMS key with rotation, not the archive key, so that the services which
 * must use it to publish are given no way into the archives; TLS-only publishing; a topic policy
 * (which replaces SNS's default one) and a key policy that let CloudWatch publish for this stack's
 * alarms only (`aws:SourceAccount` and `aws:SourceArn` against the confused deputy), and EventBridge
 * for the rules given to `eventTarget` only. An e-mail subscription, when given, sends what SNS could
 * not deliver to a dead-letter queue encrypted with the same key, which SNS may use (an SQS queue
 * under the AWS-managed `aws/sqs` key cannot take SNS's messages: that key's policy cannot name SNS).
 *
 * Roles that publish get the key through `grantPublishing`. `lib/rules/` checks every publisher's path.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly deliveryDeadLetters?: sqs.Queue;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const fromThisStacksAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stackAlarmArns(this) },
    };
    this.key = new kms.Key(this, 'Key', { description: 'n8n-ark alarm topic', enableKeyRotation: true });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [CLOUDWATCH],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisStacksAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { enforceSSL: true, masterKey: this.key });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [CLOUDWATCH],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisStacksAlarms,
      }),
    );
    if (props.email) this.deliveryDeadLetters = this.subscribe(props.email);
  }

  /** Lets a role publish: sns:Publish on the topic and the data-key actions on its key. */
  grantPublishing(grantee: iam.IGrantable): void {
    // topic.grantPublish would grant kms:GenerateDataKey*: SNS needs GenerateDataKey alone.
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    this.key.grant(grantee, ...PUBLISHER_KEY_ACTIONS);
  }

  /**
   * The topic as the target of an EventBridge rule, allowed for that rule alone (`aws:SourceArn`,
   * as EventBridge documents for SNS targets); EventBridge's calls to the key carry no source, so the
   * key lets EventBridge use it without one (the topic policy is what limits who publishes).
   */
  eventTarget(
    rule: events.IRule,
    message: events.RuleTargetInput,
    deadLetterQueue: sqs.IQueue,
  ): events.IRuleTarget {
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [EVENTS],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [EVENTS], actions: PUBLISHER_KEY_ACTIONS, resources: ['*'] }),
    );
    const arn = this.topic.topicArn;
    return { bind: () => ({ arn, input: message, deadLetterConfig: { arn: deadLetterQueue.queueArn } }) };
  }

  private subscribe(email: string): sqs.Queue {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SnsDeliversToDeadLetters',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // The topic's ARN would make the key depend on the topic it encrypts: a cycle.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const deadLetters = deadLetterQueue(this, 'DeliveryDeadLetters', {
      of: 'the e-mail subscription (an SNS redrive policy, which cdk-nag does not see)',
      unseenBy: ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      encryption: this.key,
    });
    this.topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: deadLetters }));
    return deadLetters;
  }
}
