import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FIVE_MINUTES, raise } from './alarms/alarm.js';
import type { ArkFunction } from './ark-function.js';
import { BACKUP_SLACK_HOURS, type InstanceConfig } from './config/index.js';
import { stalenessHours } from './config/schedule.js';

export interface NightlyBackupsProps {
  /** The instances that are backed up. */
  instances: readonly InstanceConfig[];
  backup: ArkFunction;
  /** The backup state machine (lib/backup-machine.ts) the schedules start. */
  machine: sfn.StateMachine;
  verify: ArkFunction;
  /** The stack's shrink share, for instances without their own. */
  shrinkAlarmShare: number;
  /** Namespace of the metrics the backup emits (EMF). */
  namespace: string;
  alarmAction: cloudwatch.IAlarmAction;
}

const VERIFY_SCHEDULE = 'cron(0 6 * * ? *)';

/**
 * Per backed-up instance: its backup schedule (starting the backup state machine with
 * `{instance, history?, exclude?, shrinkAlarmShare}`) and a daily verify of its newest archive; and
 * the alarms that say a backup did not happen, whatever the cause:
 * - `BackupFailed-<instance>`: the backup reported a failure (`BackupFailure`, EMF), per hour; an
 *   incomplete backup (a kind the key may not read, not excluded) is a failure, so it fires the
 *   first night the key loses a scope;
 * - `NoRecentBackup-<instance>`: no `BackupSuccess` for the schedule's longest gap plus
 *   BACKUP_SLACK_HOURS (26 h for a nightly schedule), missing data breaching;
 * - `BackupShrank-<instance>`: a backup that succeeded holds less than the one before it;
 * - `BackupErrors` / `BackupThrottles`: the backup function erred (a timeout, running out of memory
 *   or a bad event, which report nothing themselves) or was throttled, per five minutes.
 * The backup schedules' retries (the machine could not be started) end in the backup function's
 * dead-letter queue (watched apart); an execution that fails raises BackupExecutionFailed
 * (lib/backup-machine.ts).
 */
export class NightlyBackups extends Construct {
  constructor(scope: Construct, id: string, props: NightlyBackupsProps) {
    super(scope, id);
    for (const instance of props.instances) {
      const shrinkAlarmShare = instance.shrinkAlarmShare ?? props.shrinkAlarmShare;
      new scheduler.Schedule(this, `Nightly-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression(instance.schedule),
        description: `n8n-ark backup of ${instance.name}`,
        target: new targets.StepFunctionsStartExecution(props.machine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            instance: instance.name,
            ...(instance.history !== undefined ? { history: instance.history } : {}),
            ...(instance.exclude ? { exclude: instance.exclude } : {}),
            shrinkAlarmShare,
          }),
          deadLetterQueue: props.backup.deadLetterQueue,
          retryAttempts: 2,
        }),
      });
      new scheduler.Schedule(this, `Verify-${instance.name}`, {
        schedule: scheduler.ScheduleExpression.expression(VERIFY_SCHEDULE),
        description: `n8n-ark verify of the newest ${instance.name} archive`,
        target: new targets.LambdaInvoke(props.verify.fn, {
          input: scheduler.ScheduleTargetInput.fromObject({ instance: instance.name }),
          deadLetterQueue: props.verify.deadLetterQueue,
          role: props.verify.schedulerRole(),
        }),
      });
      this.instanceAlarms(instance, shrinkAlarmShare, props);
    }
    this.functionAlarms(props);
  }

  private instanceAlarms(instance: InstanceConfig, share: number, props: NightlyBackupsProps): void {
    const metric = (name: string, statistic: string, period = Duration.hours(1)) =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName: name,
        dimensionsMap: { Instance: instance.name },
        statistic,
        period,
      });
    const hours = stalenessHours(instance.schedule, BACKUP_SLACK_HOURS);
    const alarms = {
      [`BackupFailed-${instance.name}`]: {
        description: `A backup of ${instance.name} failed`,
        metric: metric('BackupFailure', 'Sum'),
      },
      [`NoRecentBackup-${instance.name}`]: {
        description: `No successful backup of ${instance.name} in ${hours} hours (its schedule's longest gap plus ${BACKUP_SLACK_HOURS} h)`,
        metric: metric('BackupSuccess', 'Sum'),
        below: true,
        periods: hours,
        missingBreaches: true,
      },
      [`BackupShrank-${instance.name}`]: {
        description: `The newest backup of ${instance.name} holds less than the one before: a resource is newly skipped, or a kind (workflows, data-table rows, …) fell by more than ${Math.round(share * 100)} %`,
        metric: metric('BackupShrank', 'Maximum'),
      },
    };
    for (const [id, spec] of Object.entries(alarms)) raise(this, id, spec, props.alarmAction);
  }

  private functionAlarms({ backup, alarmAction }: NightlyBackupsProps): void {
    raise(
      this,
      'BackupErrors',
      {
        description:
          'The backup function erred: a failed backup, a timeout, running out of memory or a bad event',
        metric: backup.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      alarmAction,
    );
    raise(
      this,
      'BackupThrottles',
      {
        description: 'The backup function was throttled (the account’s Lambda concurrency is used up)',
        metric: backup.fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      alarmAction,
    );
  }
}
