import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AlarmTopic } from './alarm-topic.js';
import { endedBadly, raise } from './alarms/alarm.js';
import { type ArchivesRef, grantArchiveAccess } from './archive-access.js';
import { ArkFunction, type FunctionNetwork } from './ark-function.js';
import { DRILL_SLACK_HOURS, type DrillConfig, type InstanceConfig } from './config/index.js';
import { stalenessHours } from './config/schedule.js';
import { drillStateMachine } from './drill-machine.js';
import type { SecretGrants } from './secrets.js';

export interface RestoreDrillsProps extends ArchivesRef {
  /** Every configured instance; those with `drill` get a schedule and alarms. */
  instances: readonly InstanceConfig[];
  /** The functions' shared environment (bucket, prefix, key, instances). */
  environment: Record<string, string>;
  alarms: AlarmTopic;
  /** Alarm action: the stack's notification. */
  alarmAction: cloudwatch.IAlarmAction;
  metricNamespace: string;
  secrets: SecretGrants;
  /** The archives' key secret, when archives are encrypted (the drill opens them). */
  archiveKeySecrets?: readonly string[];
  network?: FunctionNetwork;
}

type Drilled = InstanceConfig & { drill: DrillConfig };

/**
 * Scheduled restore drills (docs/OPERATIONS.md "Restore drills"): per instance with `drill`, a
 * schedule starts the drill state machine (lib/drill-machine.ts). The verdict goes to the topic with
 * the report's S3 and console links, and becomes the metric `DrillSucceeded` (namespace
 * `metricNamespace`, dimension Instance). Alarms: a drill failed; no drill passed within the drill
 * schedule's longest gap plus DRILL_SLACK_HOURS (or `alarmAfterDays`); a drill execution failed,
 * timed out or was aborted; dead letters of the drill function or its schedules. Nothing is created
 * when no instance has a drill.
 */
export class RestoreDrills extends Construct {
  readonly machine?: sfn.StateMachine;
  readonly function?: ArkFunction;

  constructor(scope: Construct, id: string, props: RestoreDrillsProps) {
    super(scope, id);
    const drilled = props.instances.filter((i): i is Drilled => i.drill !== undefined);
    if (drilled.length === 0) return;
    const fn = this.drillFunction(props, drilled);
    const machine = drillStateMachine(this, fn, props.alarms);
    this.function = fn;
    this.machine = machine;
    for (const instance of drilled) {
      new scheduler.Schedule(this, `Schedule-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression(instance.drill.schedule),
        description: `n8n-ark restore drill of the newest ${instance.name} archive`,
        target: new targets.StepFunctionsStartExecution(machine, {
          input: scheduler.ScheduleTargetInput.fromObject({ instance: instance.name }),
          deadLetterQueue: fn.deadLetterQueue,
          retryAttempts: 2,
        }),
      });
      this.alarms(instance, props);
    }
    raise(
      this,
      'ExecutionFailed',
      {
        description:
          'A restore drill execution failed (drill failed, scratch refused, or a crash), timed out or was aborted',
        metric: endedBadly(machine),
      },
      props.alarmAction,
    );
  }

  private drillFunction(props: RestoreDrillsProps, drilled: readonly Drilled[]): ArkFunction {
    const drill = new ArkFunction(this, 'Drill', {
      handler: 'drill',
      environment: {
        ...props.environment,
        DRILL_TARGETS: JSON.stringify(Object.fromEntries(drilled.map((i) => [i.name, i.drill.targetSecret]))),
      },
      memorySize: 1024,
      timeout: Duration.minutes(15),
      ...(props.network ? { network: props.network } : {}),
    });
    grantArchiveAccess(drill, 'drill', props);
    props.secrets.grantRead(drill, [
      ...drilled.map((i) => i.drill.targetSecret),
      ...(props.archiveKeySecrets ?? []),
    ]);
    return drill;
  }

  private alarms(instance: Drilled, props: RestoreDrillsProps): void {
    const metric = (statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: props.metricNamespace,
        metricName: 'DrillSucceeded',
        dimensionsMap: { Instance: instance.name },
        statistic,
        period,
      });
    raise(
      this,
      `Failed-${instance.name}`,
      {
        description: `A restore drill of ${instance.name} failed (see the drill report in the notification)`,
        metric: metric('Minimum', Duration.hours(1)),
        below: true,
      },
      props.alarmAction,
    );
    const { alarmAfterDays: days, schedule } = instance.drill;
    const hours = days === undefined ? stalenessHours(schedule, DRILL_SLACK_HOURS) : undefined;
    raise(
      this,
      `NoRecentPass-${instance.name}`,
      {
        description: `No restore drill of ${instance.name} passed in ${hours === undefined ? `${days} day(s)` : `${hours} hours (the drill schedule's longest gap plus ${DRILL_SLACK_HOURS} h)`}`,
        metric:
          hours === undefined ? metric('Maximum', Duration.days(1)) : metric('Maximum', Duration.hours(1)),
        periods: hours ?? days,
        below: true,
        missingBreaches: true,
      },
      props.alarmAction,
    );
  }
}
