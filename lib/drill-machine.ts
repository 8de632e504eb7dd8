import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { AlarmTopic } from './alarm-topic.js';
import type { ArkFunction } from './ark-function.js';
import { CRASHED_SLICE_RETRY, slicedMachine } from './sliced-machine.js';

/**
 * The drill state machine: prepare (newest archive; the scratch refused unless marked as a drill
 * target, then wiped), restore in bounded slices as the restore machine does, compare the scratch
 * with the archive and write the report beside it, notify with the report's links, and end failed
 * when the drill failed.
 */
/** The three invocations of the drill function: prepare, one restore slice, compare and report. */
function drillTasks(scope: Construct, drill: ArkFunction) {
  const invoke = (
    name: string,
    payload: Record<string, unknown>,
    resultSelector: Record<string, string>,
    resultPath: string,
  ) =>
    new tasks.LambdaInvoke(scope, name, {
      lambdaFunction: drill.fn,
      payload: sfn.TaskInput.fromObject(payload),
      resultSelector,
      resultPath,
      retryOnServiceExceptions: true,
    });
  const prepare = invoke(
    'Prepare scratch',
    { mode: 'prepare', 'instance.$': '$.instance' },
    { 'drill.$': '$.Payload.drill', 'slice.$': '$.Payload.slice' },
    '$',
  );
  const slice = invoke(
    'Restore slice',
    { mode: 'slice', 'drill.$': '$.drill', 'steps.$': '$.slice.steps', 'execution.$': '$$.Execution.Id' },
    { 'done.$': '$.Payload.done', 'steps.$': '$.Payload.steps', 'outcome.$': '$.Payload.outcome' },
    '$.slice',
  );
  slice.addRetry(CRASHED_SLICE_RETRY);
  const finish = invoke(
    'Compare and report',
    { mode: 'finish', 'drill.$': '$.drill', 'slice.$': '$.slice' },
    {
      'instance.$': '$.Payload.instance',
      'verdict.$': '$.Payload.verdict',
      'reasons.$': '$.Payload.reasons',
      'report.$': '$.Payload.report',
    },
    '$.result',
  );
  return { prepare, slice, finish };
}

export function drillStateMachine(
  scope: Construct,
  drill: ArkFunction,
  alarms: AlarmTopic,
): sfn.StateMachine {
  const { prepare, slice, finish } = drillTasks(scope, drill);
  const notify = new tasks.SnsPublish(scope, 'Notify', {
    topic: alarms.topic,
    message: sfn.TaskInput.fromObject({ 'drill.$': '$.result' }),
    subject: 'n8n-ark restore drill finished',
    resultPath: sfn.JsonPath.DISCARD,
  });
  const verdict = new sfn.Choice(scope, 'Passed?')
    .when(sfn.Condition.stringEquals('$.result.verdict', 'pass'), new sfn.Succeed(scope, 'Drill passed'))
    .otherwise(new sfn.Fail(scope, 'Drill failed', { error: 'DrillFailed', cause: 'see the drill report' }));
  const loop = new sfn.Choice(scope, 'Restored?')
    .when(sfn.Condition.booleanEquals('$.slice.done', true), finish.next(notify).next(verdict))
    .otherwise(slice);
  const machine = slicedMachine(scope, 'Machine', {
    definition: prepare.next(slice).next(loop),
    invokes: [drill],
    logsId: 'MachineLogs',
  });
  alarms.grantPublishing(machine);
  return machine;
}
