import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { nagViolations, type Synthesized, synthesize } from './support/synth.js';

/** Two instances, one drilled weekly into a scratch instance, alarmed after 7 days without a pass. */
const config = {
  instances: [
    {
      name: 'prod',
      secretName: 'n8n-ark/prod',
      drill: { targetSecret: 'n8n-ark/scratch', schedule: 'cron(0 5 ? * SUN *)', alarmAfterDays: 7 },
    },
    { name: 'staging', secretName: 'n8n-ark/staging' },
  ],
  alarmEmail: 'ops@example.com',
};

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  synthesized = synthesize(config);
  template = synthesized.template;
});

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

  it('prepares, wipes, restores, compares and reports in retried slices, notifies with the report, then fails a failed drill', () => {
    const drill = definitionOf(template).find((d) => d.includes('Prepare scratch')) ?? '';

    for (const state of [
      '"Prepare scratch"',
      '"Wipe scratch"',
      '"Wiped?"',
      '"Restore slice"',
      '"Restored?"',
      '"Compare and report"',
      '"Reported?"',
      '"Notify"',
      '"Passed?"',
      '"Drill failed"',
    ])
      expect(drill).toContain(state);
    for (const mode of ['wipe', 'slice', 'finish']) expect(drill).toContain(`"mode":"${mode}"`);
    expect(drill).toContain('"execution.$":"$.slicing.execution"');
    expect(drill).toContain('"drill.$":"$.result.answer"');
    const crashed =
      '{"ErrorEquals":["Lambda.Unknown","Sandbox.Timedout","States.Timeout"],"IntervalSeconds":30,"MaxAttempts":6,"BackoffRate":2,"MaxDelaySeconds":300}';
    // The wipe, the restore slice and the comparison are each run again when they crash.
    expect(drill.split(crashed)).toHaveLength(4);
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
    const [machine] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).filter((id) =>
      id.startsWith('DrillsMachine'),
    );
    const [failed] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmDescription: Match.stringLikeRegexp('restore drill execution failed') },
      }),
    );
    const metrics = JSON.stringify(failed?.Properties?.Metrics);
    for (const name of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])
      expect(metrics).toContain(name);
    expect(metrics).toContain(`"Ref":"${machine}"`);
  });

  it('lets the drill machine publish to the encrypted topic (its key, not only sns:Publish)', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties?.Roles).includes('DrillsMachineRole'),
    );
    const text = JSON.stringify(policies);

    expect(text).toContain('sns:Publish');
    expect(text).toContain('"Action":["kms:Decrypt","kms:GenerateDataKey"]');
  });

  it('creates nothing for drills when no instance has one', () => {
    const plain = synthesize({ instances: [{ name: 'prod', secretName: 'n8n-ark/prod' }] }).template;

    expect(definitionOf(plain).some((d) => d.includes('Prepare scratch'))).toBe(false);
    expect(JSON.stringify(plain.toJSON())).not.toContain('DrillSucceeded');
  });

  it('finds nothing unacknowledged by cdk-nag in the stack with a drill', () => {
    expect(nagViolations(synthesized.app)).toEqual([]);
  });
});

describe('drill configuration', () => {
  const withDrill = (drill: unknown) => () =>
    parseConfig({ instances: [{ name: 'prod', secretName: 'n8n-ark/prod', drill }] });

  it("defaults to a daily drill at 05:00 UTC, alarmed when none passed in the schedule's longest gap plus 6 h", () => {
    expect(withDrill({ targetSecret: 's' })().instances[0]?.drill).toEqual({
      targetSecret: 's',
      schedule: 'cron(0 5 * * ? *)',
    });
    const daily = synthesize({
      instances: [{ name: 'prod', secretName: 'p', drill: { targetSecret: 's' } }],
    });
    daily.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DrillSucceeded',
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 30,
      DatapointsToAlarm: 30,
      TreatMissingData: 'breaching',
    });
  });

  it('derives the staleness of a twice-weekly drill from its schedule (Thursday to Monday, 96 h, plus 6 h)', () => {
    const twice = synthesize({
      instances: [
        { name: 'prod', secretName: 'p', drill: { targetSecret: 's', schedule: 'cron(0 5 ? * MON,THU *)' } },
      ],
    });
    twice.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DrillSucceeded',
      Period: 3600,
      EvaluationPeriods: 4 * 24 + 6,
    });
  });

  it('refuses a drill schedule CloudWatch cannot watch for staleness, unless alarmAfterDays chooses the window', () => {
    expect(withDrill({ targetSecret: 's', schedule: 'cron(0 5 ? * SUN *)' })).toThrow(
      'instances[0].drill.schedule runs as far as 168 h apart; the drill staleness alarm waits the longest gap plus 6 h and CloudWatch watches at most 168 h: schedule it at least every 162 h, or set "alarmAfterDays" (1–7) to choose its window',
    );
    expect(
      withDrill({ targetSecret: 's', schedule: 'cron(0 5 ? * SUN *)', alarmAfterDays: 7 })().instances[0]
        ?.drill,
    ).toEqual({
      targetSecret: 's',
      schedule: 'cron(0 5 ? * SUN *)',
      alarmAfterDays: 7,
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
