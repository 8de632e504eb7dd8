import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { N8nArkStack } from '../../lib/n8n-ark-stack.js';

/** Two instances, one drilled weekly into a scratch instance, alarmed after 7 days without a pass. */
const config = parseConfig({
  instances: [
    {
      name: 'prod',
      secretName: 'n8n-ark/prod',
      drill: { targetSecret: 'n8n-ark/scratch', schedule: 'cron(0 5 ? * SUN *)', alarmAfterDays: 7 },
    },
    { name: 'staging', secretName: 'n8n-ark/staging' },
  ],
  alarmEmail: 'ops@example.com',
});

let app: App;
let template: Template;

function flags(): Record<string, unknown> {
  const { context } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const { n8nArk: _config, ...rest } = context;
  return rest;
}

// Bundles four functions (the drill's among them): slow on a loaded machine.
beforeAll(() => {
  app = new App({ context: flags() });
  template = Template.fromStack(new N8nArkStack(app, 'N8nArk', { config }));
}, 300_000);

const definitionOf = (t: Template): string[] =>
  Object.values(t.findResources('AWS::StepFunctions::StateMachine')).map((m) =>
    JSON.stringify(m.Properties?.DefinitionString).replace(/\\"/g, '"'),
  );

describe('restore drills', () => {
  it('schedules a drill of the drilled instance only, starting the drill state machine with its name', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      String(s.Properties?.Description).includes('restore drill'),
    );

    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.Properties?.ScheduleExpression).toBe('cron(0 5 ? * SUN *)');
    expect(JSON.parse(String(schedules[0]?.Properties?.Target?.Input))).toEqual({ instance: 'prod' });
    expect(JSON.stringify(schedules[0]?.Properties?.Target?.Arn)).toContain('DrillsMachine');
  });

  it('prepares, restores in retried slices, compares and reports, notifies with the report, then fails a failed drill', () => {
    const drill = definitionOf(template).find((d) => d.includes('Prepare scratch')) ?? '';

    for (const state of [
      '"Prepare scratch"',
      '"Restore slice"',
      '"Restored?"',
      '"Compare and report"',
      '"Notify"',
      '"Passed?"',
      '"Drill failed"',
    ])
      expect(drill).toContain(state);
    expect(drill).toContain('"mode":"slice"');
    expect(drill).toContain('"report.$":"$.Payload.report"');
    expect(drill).toContain(
      '{"ErrorEquals":["Lambda.Unknown","Sandbox.Timedout","States.Timeout"],"IntervalSeconds":60,"MaxAttempts":4,"BackoffRate":2}',
    );
    expect(drill).toContain('"Error":"DrillFailed"');
  });

  it('gives the drill function its scratch target and reads only that secret beside the instances', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ DRILL_TARGETS: Match.anyValue() }) } },
    });
    const [drill] = Object.values(functions);

    expect(JSON.parse(String(drill?.Properties?.Environment?.Variables?.DRILL_TARGETS))).toEqual({
      prod: 'n8n-ark/scratch',
    });
    expect(drill?.Properties?.Timeout).toBe(900);
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('secret:n8n-ark/scratch-??????');
  });

  it('alarms when a drill fails and when none passed in the configured days, on DrillSucceeded per instance', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'n8n-ark',
      MetricName: 'DrillSucceeded',
      Dimensions: [{ Name: 'Instance', Value: 'prod' }],
      Statistic: 'Minimum',
      Period: 3600,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DrillSucceeded',
      Dimensions: [{ Name: 'Instance', Value: 'prod' }],
      Statistic: 'Maximum',
      Period: 86400,
      EvaluationPeriods: 7,
      DatapointsToAlarm: 7,
      TreatMissingData: 'breaching',
    });
    const drillAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties?.MetricName === 'DrillSucceeded',
    );
    expect(drillAlarms).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('restore drill execution failed'),
      MetricName: 'ExecutionsFailed',
    });
  });

  it('lets the drill machine publish to the encrypted topic (its key, not only sns:Publish)', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties?.Roles).includes('DrillsMachineRole'),
    );
    const text = JSON.stringify(policies);

    expect(text).toContain('sns:Publish');
    expect(text).toContain('kms:GenerateDataKey*');
  });

  it('creates nothing for drills when no instance has one', () => {
    const plain = Template.fromStack(
      new N8nArkStack(new App({ context: { ...flags(), 'aws:cdk:bundling-stacks': [] } }), 'Plain', {
        config: parseConfig({ instances: [{ name: 'prod', secretName: 'n8n-ark/prod' }] }),
      }),
    );

    expect(definitionOf(plain).some((d) => d.includes('Prepare scratch'))).toBe(false);
    expect(JSON.stringify(plain.toJSON())).not.toContain('DrillSucceeded');
  });

  it('finds nothing unacknowledged by cdk-nag in the stack with a drill', () => {
    const violations = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack
        .validateScope(app)
        .violations.map((v) => `${v.ruleName} ${JSON.stringify(v.violatingResources ?? v).slice(0, 300)}`),
    );
    expect(violations).toEqual([]);
  });
});

describe('drill configuration', () => {
  const withDrill = (drill: unknown) => () =>
    parseConfig({ instances: [{ name: 'prod', secretName: 'n8n-ark/prod', drill }] });

  it('defaults to a daily drill at 05:00 UTC alarmed after 2 days without a pass', () => {
    expect(withDrill({ targetSecret: 's' })().instances[0]?.drill).toEqual({
      targetSecret: 's',
      schedule: 'cron(0 5 * * ? *)',
      alarmAfterDays: 2,
    });
  });

  it('refuses a drill without a target, with a bad schedule, or alarmed past what CloudWatch evaluates', () => {
    expect(withDrill({})).toThrow(/instances\[0\]\.drill\.targetSecret is required/);
    expect(withDrill('weekly')).toThrow(/instances\[0\]\.drill must be an object/);
    expect(withDrill({ targetSecret: 's', schedule: 'weekly' })).toThrow(/drill\.schedule must be cron/);
    expect(withDrill({ targetSecret: 's', alarmAfterDays: 8 })).toThrow(
      /alarmAfterDays must be a whole number of days from 1 to 7/,
    );
  });
});
