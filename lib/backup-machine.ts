import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { endedBadly, raise } from './alarms/alarm.js';
import type { ArkFunction } from './ark-function.js';
import { nameTheExecution, slicedMachine, sliceTask } from './sliced-machine.js';

export interface BackupMachineProps {
  backup: ArkFunction;
  alarmAction: cloudwatch.IAlarmAction;
}

/**
 * Backups of any size: the backup function in slices, each going on where the last one saved
 * (functions/core/backup/slice.ts), until one answers `done` with the archive published. A slice
 * that crashed is run again (CRASHED_SLICE_RETRY) and goes on from its last save; one that fails
 * for good (n8n refuses, the closing check finds the archive incomplete, two slices in a row saved
 * nothing, another execution holds the instance's backup) is caught: the backup is abandoned (its
 * multipart upload aborted, its lock released, `BackupFailure` emitted) and the execution fails
 * with that error's name and cause. Alarm `BackupExecutionFailed`: an execution failed, timed out
 * (24 h) or was aborted. The input is the schedule's: `{instance, history?, exclude?, shrinkAlarmShare}`.
 */
export class BackupMachine extends Construct {
  readonly machine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: BackupMachineProps) {
    super(scope, id);
    const slice = sliceTask(this, 'Backup slice', {
      fn: props.backup,
      // The schedule's input and `slicing` (the event schema leaves the rest, `$.slice`, aside).
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      resultSelector: { 'answer.$': '$.Payload', 'done.$': '$.Payload.done' },
      resultPath: '$.slice',
    });
    const abandon = sliceTask(this, 'Abandon the backup', {
      fn: props.backup,
      payload: sfn.TaskInput.fromObject({
        'instance.$': '$.instance',
        'slicing.$': '$.slicing',
        'abandon.$': '$.failure',
      }),
      resultPath: sfn.JsonPath.DISCARD,
      crashRetried: false,
    });
    const failed = new sfn.Fail(this, 'Backup failed', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    // Abandoning is best effort: the execution fails with the slice's error either way.
    abandon.addCatch(failed, { resultPath: sfn.JsonPath.DISCARD });
    slice.addCatch(abandon.next(failed), { resultPath: '$.failure' });
    const loop = new sfn.Choice(this, 'Published?')
      .when(sfn.Condition.booleanEquals('$.slice.done', true), new sfn.Succeed(this, 'Backup published'))
      .otherwise(slice);
    this.machine = slicedMachine(this, 'Default', {
      definition: nameTheExecution(this, { startedAt: true }).next(slice).next(loop),
      invokes: [props.backup],
      logsId: 'Logs',
    });
    raise(
      this,
      'BackupExecutionFailed',
      {
        description: 'A backup execution failed (its error names why), timed out (24 h) or was aborted',
        metric: endedBadly(this.machine),
      },
      props.alarmAction,
    );
  }
}
