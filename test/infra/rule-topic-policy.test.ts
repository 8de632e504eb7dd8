/**
 * N8nArk-TopicPolicyPublishers on tiny real stacks, compliant and not: a topic policy replaces SNS's
 * default one, so an alarm can publish only if the policy allows cloudwatch.amazonaws.com itself.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../lib/rules/template.js';
import { topicPolicyPublishers } from '../../lib/rules/topic-policy-publishers.js';

/** A topic (TLS-only: CDK writes a topic policy for it) that one alarm publishes to. */
function alarmedTopic(enforceSSL = true): { stack: Stack; topic: sns.Topic } {
  const stack = new Stack(new App(), 'Fixture');
  const topic = new sns.Topic(stack, 'Alarms', { enforceSSL });
  new cloudwatch.Alarm(stack, 'BackupFailed', {
    metric: new cloudwatch.Metric({ namespace: 'n8n-ark', metricName: 'BackupFailure' }),
    threshold: 1,
    evaluationPeriods: 1,
  }).addAlarmAction(new actions.SnsAction(topic));
  return { stack, topic };
}

const cloudwatchMayPublish = (topic: sns.Topic, conditions?: Record<string, Record<string, unknown>>) =>
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      ...(conditions ? { conditions } : {}),
    }),
  );

const problems = (stack: Stack) =>
  topicPolicyPublishers.check(Template.fromStack(stack).toJSON() as CfnTemplate).map((f) => f.problem);

describe('N8nArk-TopicPolicyPublishers', () => {
  it("fails a topic whose policy (TLS only) lets no alarm publish: the stack's shape before", () => {
    const { stack } = alarmedTopic();

    expect(problems(stack)).toEqual([
      "the topic policy (which replaces SNS's default policy) does not allow cloudwatch.amazonaws.com sns:Publish, so it cannot publish",
    ]);
  });

  it('passes the same topic once its policy allows CloudWatch for this account', () => {
    const { stack, topic } = alarmedTopic();
    cloudwatchMayPublish(topic, { StringEquals: { 'aws:SourceAccount': stack.account } });

    expect(problems(stack)).toEqual([]);
  });

  it('fails an allow without aws:SourceAccount or aws:SourceArn (any account’s alarms could publish)', () => {
    const { stack, topic } = alarmedTopic();
    cloudwatchMayPublish(topic);

    expect(problems(stack)).toEqual([
      'the topic policy lets cloudwatch.amazonaws.com publish without an aws:SourceAccount or aws:SourceArn condition (confused deputy)',
    ]);
  });

  it("passes a topic with no topic policy: SNS's default policy lets the account's alarms publish", () => {
    const { stack } = alarmedTopic(false);

    expect(problems(stack)).toEqual([]);
  });

  it('fails a Deny of sns:Publish to everyone that is more than the TLS-only one', () => {
    const { stack, topic } = alarmedTopic();
    cloudwatchMayPublish(topic, { StringEquals: { 'aws:SourceAccount': stack.account } });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringNotEquals: { 'aws:PrincipalAccount': '111111111111' } },
      }),
    );

    expect(problems(stack)).toEqual(['the topic policy denies sns:Publish to cloudwatch.amazonaws.com']);
  });

  it("fails an EventBridge rule's topic target that the topic policy allows without naming the rule; passes one published with a role", () => {
    const unconditioned = new Stack(new App(), 'Fixture');
    const topic = new sns.Topic(unconditioned, 'Alarms', { enforceSSL: true });
    new events.Rule(unconditioned, 'KeyEvents', {
      eventPattern: { source: ['aws.kms'] },
      targets: [new targets.SnsTopic(topic)],
    });
    const withRole = new Stack(new App(), 'Fixture');
    const other = new sns.Topic(withRole, 'Alarms', { enforceSSL: true });
    new events.Rule(withRole, 'KeyEvents', {
      eventPattern: { source: ['aws.kms'] },
      targets: [new targets.SnsTopic(other, { authorizeUsingRole: true })],
    });

    expect(problems(unconditioned)).toEqual([
      'the topic policy lets events.amazonaws.com publish without an aws:SourceAccount or aws:SourceArn condition (confused deputy)',
    ]);
    expect(problems(withRole)).toEqual([]);
  });
});
