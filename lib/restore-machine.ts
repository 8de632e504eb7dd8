import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { AlarmTopic } from './alarm-topic.js';
import { endedBadly, raise } from './alarms/alarm.js';
import type { ArkFunction } from './ark-function.js';
import { nameTheExecution, slicedMachine, sliceTask } from './sliced-machine.js';

export interface RestoreMachineProps {
  restore: ArkFunction;
  verify: ArkFunction;
  alarms: AlarmTopic;
  alarmAction: cloudwatch.IAlarmAction;
}

/**
 * Restores of any size: the restore function in bounded slices until the ledger says done, then
 * the verify function checks the archive's checksums and runs the restore's closing check again
 * against the target (`equal: false`: something it wrote did not land or does not run), then both
 * summaries go to the alarm topic. A crashed slice is run again (CRASHED_SLICE_RETRY) and goes on
 * from its last save; so is a crashed verify, which writes nothing. Alarm `RestoreFailed`: an
 * execution failed, timed out or was aborted.
 */
export class RestoreMachine extends Construct {
  readonly machine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RestoreMachineProps) {
    super(scope, id);
    const slice = sliceTask(this, 'Restore slice', {
      fn: props.restore,
      // The request and the execution it is a slice of (its retry takes over its ledger lock).
      payload: sfn.TaskInput.fromJsonPathAt(
        sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.request'), sfn.JsonPath.objectAt('$.slicing')),
      ),
      resultSelector: {
        'done.$': '$.Payload.done',
        'ledgerKey.$': '$.Payload.ledgerKey',
        'summary.$': '$.Payload.summary',
      },
      resultPath: '$.slice',
    });
    // Checksums again, then the restore's closing check against the target: what did not land or
    // run. A crashed verify is run again too: it writes nothing.
    const check = sliceTask(this, 'Verify archive and target', {
      fn: props.verify,
      payload: sfn.TaskInput.fromJsonPathAt('$.request'),
      resultSelector: { 'target.$': '$.Payload.target', 'entriesChecked.$': '$.Payload.entriesChecked' },
      resultPath: '$.verify',
    });
    const done = new tasks.SnsPublish(this, 'Notify', {
      topic: props.alarms.topic,
      message: sfn.TaskInput.fromObject({
        'restore.$': '$.slice.summary',
        'comparison.$': '$.verify.target',
      }),
      subject: 'n8n-ark restore finished',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const loop = new sfn.Choice(this, 'Done?')
      .when(sfn.Condition.booleanEquals('$.slice.done', true), check.next(done))
      .otherwise(slice);
    // `Default` keeps the machine's logical id (and so its ARN) from when the stack made it itself.
    this.machine = slicedMachine(this, 'Default', {
      definition: nameTheExecution(this).next(slice).next(loop),
      invokes: [props.restore, props.verify],
      logsId: 'Logs',
    });
    props.alarms.grantPublishing(this.machine);
    this.alarm(props);
  }

  private alarm(props: RestoreMachineProps): void {
    raise(
      this,
      'RestoreFailed',
      {
        description: 'A restore or migration run failed, timed out (24 h) or was aborted',
        metric: endedBadly(this.machine),
      },
      props.alarmAction,
    );
  }
}
