import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { AlarmTopic } from './alarm-topic.js';
import type { ArkFunction } from './ark-function.js';
import { nameTheExecution, slicedMachine, sliceTask } from './sliced-machine.js';

/**
 * The drill state machine: prepare (newest archive; the scratch refused unless marked as a drill
 * target), wipe the scratch in slices until it is empty, restore in bounded slices as the restore
 * machine does, compare the scratch with the archive in slices and write the report beside it,
 * notify with the report's links, and end failed when the drill failed. Every slice that crashed is
 * run again (CRASHED_SLICE_RETRY) and goes on where the last one stood.
 */
function drillTasks(scope: Construct, drill: ArkFunction) {
  const invoke = (
    name: string,
    payload: Record<string, unknown>,
    resultSelector: Record<string, string>,
    resultPath: string,
  ) =>
    sliceTask(scope, name, {
      fn: drill,
      payload: sfn.TaskInput.fromObject(payload),
      resultSelector,
      resultPath,
      // Preparing is no slice: a crash there fails the drill at once, as any failed preparation.
      crashRetried: name !== 'Prepare scratch',
    });
  const execution = { 'execution.$': '$.slicing.execution' };
  const prepare = invoke(
    'Prepare scratch',
    { mode: 'prepare', 'instance.$': '$.instance' },
    { 'drill.$': '$.Payload.drill', 'slice.$': '$.Payload.slice', 'wipe.$': '$.Payload.wipe' },
    '$.prepared',
  );
  const wipe = invoke(
    'Wipe scratch',
    { mode: 'wipe', 'drill.$': '$.drill', 'wipe.$': '$.wipe', ...execution },
    { 'done.$': '$.Payload.done', 'left.$': '$.Payload.left', 'stalled.$': '$.Payload.stalled' },
    '$.wipe',
  );
  const slice = invoke(
    'Restore slice',
    { mode: 'slice', 'drill.$': '$.drill', 'steps.$': '$.slice.steps', ...execution },
    { 'done.$': '$.Payload.done', 'steps.$': '$.Payload.steps', 'outcome.$': '$.Payload.outcome' },
    '$.slice',
  );
  const finish = invoke(
    'Compare and report',
    { mode: 'finish', 'drill.$': '$.drill', 'slice.$': '$.slice', ...execution },
    { 'done.$': '$.Payload.done', 'answer.$': '$.Payload' },
    '$.result',
  );
  return { prepare, wipe, slice, finish };
}

export function drillStateMachine(
  scope: Construct,
  drill: ArkFunction,
  alarms: AlarmTopic,
): sfn.StateMachine {
  const { prepare, wipe, slice, finish } = drillTasks(scope, drill);
  // What prepare answered, laid out as the later states read it (the execution's name kept).
  const prepared = new sfn.Pass(scope, 'Prepared', {
    parameters: {
      'slicing.$': '$.slicing',
      'drill.$': '$.prepared.drill',
      'slice.$': '$.prepared.slice',
      'wipe.$': '$.prepared.wipe',
    },
  });
  const notify = new tasks.SnsPublish(scope, 'Notify', {
    topic: alarms.topic,
    message: sfn.TaskInput.fromObject({ 'drill.$': '$.result.answer' }),
    subject: 'n8n-ark restore drill finished',
    resultPath: sfn.JsonPath.DISCARD,
  });
  const verdict = new sfn.Choice(scope, 'Passed?')
    .when(
      sfn.Condition.stringEquals('$.result.answer.verdict', 'pass'),
      new sfn.Succeed(scope, 'Drill passed'),
    )
    .otherwise(new sfn.Fail(scope, 'Drill failed', { error: 'DrillFailed', cause: 'see the drill report' }));
  const reported = new sfn.Choice(scope, 'Reported?')
    .when(sfn.Condition.booleanEquals('$.result.done', true), notify.next(verdict))
    .otherwise(finish);
  const restored = new sfn.Choice(scope, 'Restored?')
    .when(sfn.Condition.booleanEquals('$.slice.done', true), finish.next(reported))
    .otherwise(slice);
  const wiped = new sfn.Choice(scope, 'Wiped?')
    .when(sfn.Condition.booleanEquals('$.wipe.done', true), slice.next(restored))
    .otherwise(wipe);
  wipe.next(wiped);
  const machine = slicedMachine(scope, 'Machine', {
    definition: nameTheExecution(scope).next(prepare).next(prepared).next(wiped),
    invokes: [drill],
    logsId: 'MachineLogs',
  });
  alarms.grantPublishing(machine);
  return machine;
}
