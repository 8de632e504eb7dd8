/**
 * n8n-ark's rule pack on tiny real stacks, compliant and not (cdk-nag's habit): the topic/key shape
 * the stack had before (alarms that could never be delivered) fails, in the rule, in the plugin and
 * in a synth with the plugin added as bin/app.ts adds it. test/infra/alarms.test.ts runs it on the
 * real stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { describe, expect, it } from 'vitest';
import { encryptedTopicPublishers } from '../../lib/rules/encrypted-topic-publishers.js';
import { N8nArkChecks } from '../../lib/rules/pack.js';
import type { CfnTemplate } from '../../lib/rules/template.js';

/** The topic and key as the stack had them: the archive key on the topic, SNS task without a key grant. */
function todaysTopicShape(app = new App()): Stack {
  const stack = new Stack(app, 'Fixture');
  const archiveKey = new kms.Key(stack, 'ArchiveKey', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Alarms', { enforceSSL: true, masterKey: archiveKey });
  new cloudwatch.Alarm(stack, 'BackupFailed', {
    metric: new cloudwatch.Metric({ namespace: 'n8n-ark', metricName: 'BackupFailure' }),
    threshold: 1,
    evaluationPeriods: 1,
  }).addAlarmAction(new actions.SnsAction(topic));
  new sfn.StateMachine(stack, 'RestoreMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(
      new tasks.SnsPublish(stack, 'Notify', { topic, message: sfn.TaskInput.fromText('done') }),
    ),
  });
  return stack;
}

const stackWithTodaysTopicShape = (): CfnTemplate =>
  Template.fromStack(todaysTopicShape()).toJSON() as CfnTemplate;

// A small stack's synth takes seconds, but tens of them on a loaded machine.
describe("n8n-ark's rule pack", { timeout: 120_000 }, () => {
  it("fails today's shape: CloudWatch may not use the archive key, the machine's role may publish but not encrypt", () => {
    const findings = encryptedTopicPublishers.check(stackWithTodaysTopicShape());

    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({
      location: expect.stringMatching(/^publisher BackupFailed/),
      problem: expect.stringMatching(
        /does not let cloudwatch\.amazonaws\.com kms:Decrypt and kms:GenerateDataKey/,
      ),
    });
    expect(findings[1]).toMatchObject({
      location: expect.stringMatching(/^publisher RestoreMachineRoleDefaultPolicy/),
      problem: expect.stringMatching(
        /^role RestoreMachineRole\w+ may publish to the topic but not kms:Decrypt/,
      ),
    });
  });

  it('fails a CloudWatch key grant without source conditions, and an AWS-managed topic key', () => {
    const stack = new Stack(new App(), 'Fixture');
    const key = new kms.Key(stack, 'Key');
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const mine = new sns.Topic(stack, 'Mine', { masterKey: key });
    const managed = new sns.Topic(stack, 'Managed', {
      masterKey: kms.Alias.fromAliasName(stack, 'SnsManaged', 'alias/aws/sns'),
    });
    for (const [id, topic] of [
      ['A', mine],
      ['B', managed],
    ] as const)
      new cloudwatch.Alarm(stack, id, {
        metric: new cloudwatch.Metric({ namespace: 'n', metricName: 'm' }),
        threshold: 1,
        evaluationPeriods: 1,
      }).addAlarmAction(new actions.SnsAction(topic));

    const problems = encryptedTopicPublishers
      .check(Template.fromStack(stack).toJSON() as CfnTemplate)
      .map((f) => f.problem);

    expect(problems).toEqual([
      expect.stringMatching(/without an aws:SourceAccount or aws:SourceArn condition/),
      expect.stringMatching(/key arn:<AWS::Partition>:kms:\S+:alias\/aws\/sns is not a key of this stack/),
    ]);
  });

  it('passes a role granted with topic.grantPublish, and an unencrypted topic', () => {
    const stack = new Stack(new App(), 'Fixture');
    const role = new iam.Role(stack, 'Publisher', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    new sns.Topic(stack, 'Encrypted', { masterKey: new kms.Key(stack, 'Key') }).grantPublish(role);
    new sns.Topic(stack, 'Plain').grantPublish(role);

    expect(encryptedTopicPublishers.check(Template.fromStack(stack).toJSON() as CfnTemplate)).toEqual([]);
  });

  it('as a validation plugin, fails the synth of a template with findings and names the rule and resource', () => {
    const dir = mkdtempSync(join(tmpdir(), 'n8n-ark-rules-'));
    try {
      const path = join(dir, 'Fixture.template.json');
      writeFileSync(path, JSON.stringify(stackWithTodaysTopicShape()));
      const report = new N8nArkChecks().validate({
        templatePaths: [path],
        stackTemplates: [],
        appConstruct: new App(),
      });

      expect(report.success).toBe(false);
      expect(report.violations.map((v) => v.ruleName)).toEqual([
        'N8nArk-TopicPolicyPublishers',
        'N8nArk-EncryptedTopicPublishers',
        'N8nArk-EncryptedTopicPublishers',
      ]);
      expect(report.violations.map((v) => v.description)).toEqual([
        expect.stringMatching(
          /^the topic policy \(which replaces SNS's default policy\) does not allow cloudwatch\.amazonaws\.com sns:Publish.*\(publisher BackupFailed\w+\)$/,
        ),
        expect.stringMatching(/cloudwatch\.amazonaws\.com .*\(publisher BackupFailed\w+\)$/),
        expect.stringMatching(
          /^role RestoreMachineRole\w+ may publish .*\(publisher RestoreMachineRole\w+\)$/,
        ),
      ]);
      expect(report.violations.flatMap((v) => v.violatingResources.map((r) => r.resourceLogicalId))).toEqual([
        expect.stringMatching(/^Alarms/),
        expect.stringMatching(/^Alarms/),
        expect.stringMatching(/^Alarms/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the synth when added to the app as bin/app.ts adds it', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'n8n-ark-synth-'));
    try {
      const app = new App({ outdir });
      todaysTopicShape(app);
      Validations.of(app).addPlugins(new N8nArkChecks());

      expect(() => app.synth()).toThrow(
        /ERROR the key policy of ArchiveKey\w+ does not let cloudwatch\.amazonaws\.com kms:Decrypt and kms:GenerateDataKey.*\(n8n-ark\)/,
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
