import { Duration, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ArkFunction } from './ark-function.js';
import { logicalIdOf } from './logical-id.js';

/**
 * How a slice that crashed (out of memory, or killed at its timeout before it could stop) is run
 * again: its state (a ledger, a backup's progress) keeps what it saved, and its lock names its
 * execution, so the retry takes it over at once. Up to six times, 30 s to 5 minutes apart; a slice
 * that finds the two before it saved nothing fails the run (SlicesStalledError, functions/core/slices.ts),
 * so more attempts cannot loop. Every name here is one Step Functions reports for a Lambda task
 * (test/infra checks them).
 */
export const CRASHED_SLICE_RETRY: sfn.RetryProps = {
  errors: ['Lambda.Unknown', 'Sandbox.Timedout', 'States.Timeout'],
  interval: Duration.seconds(30),
  backoffRate: 2,
  maxDelay: Duration.minutes(5),
  maxAttempts: 6,
};

/**
 * The first state of a sliced machine: `$.slicing.execution` is the execution's id, which each
 * slice passes on so the retry of a crashed slice takes over its lock at once (and no other
 * execution can); with `startedAt`, when it started too (a lock held for the whole execution is
 * known to be gone once the execution is).
 */
export function nameTheExecution(scope: Construct, options: { startedAt?: boolean } = {}): sfn.Pass {
  return new sfn.Pass(scope, 'Name the execution', {
    parameters: {
      execution: sfn.JsonPath.executionId,
      ...(options.startedAt ? { startedAt: sfn.JsonPath.executionStartTime } : {}),
    },
    resultPath: '$.slicing',
  });
}

export interface SliceTaskProps {
  fn: ArkFunction;
  payload: sfn.TaskInput;
  resultSelector?: Record<string, unknown>;
  resultPath: string;
  /** Run again when it crashed (CRASHED_SLICE_RETRY); default true. */
  crashRetried?: boolean;
}

/** One Lambda task of a sliced machine: the service's own exceptions retried, a crashed slice run again. */
export function sliceTask(scope: Construct, name: string, props: SliceTaskProps): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: props.fn.fn,
    payload: props.payload,
    ...(props.resultSelector ? { resultSelector: props.resultSelector } : {}),
    resultPath: props.resultPath,
    retryOnServiceExceptions: true,
  });
  if (props.crashRetried !== false) task.addRetry(CRASHED_SLICE_RETRY);
  return task;
}

export interface SlicedMachineProps {
  definition: sfn.IChainable;
  /** The functions its tasks invoke (their roles' grants are acknowledged on the machine's role). */
  invokes: ArkFunction[];
  /** Construct id of its log group, beside it. */
  logsId: string;
}

/**
 * A state machine that runs an n8n-ark job in slices. Defaults it applies: a 24-hour execution
 * limit, X-Ray tracing, every event logged to a log group kept 90 days.
 */
export function slicedMachine(scope: Construct, id: string, props: SlicedMachineProps): sfn.StateMachine {
  const machine = new sfn.StateMachine(scope, id, {
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    timeout: Duration.hours(24),
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, props.logsId, { retention: logs.RetentionDays.THREE_MONTHS }),
      level: sfn.LogLevel.ALL,
    },
  });
  Validations.of(machine.role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs delivery (CreateLogDelivery and the like) have no resource-level permissions.',
    },
    ...props.invokes.map((fn) => ({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn.fn)}.Arn>:*]`,
      reason: `The state machine invokes the ${fn.node.id} function (any version of it).`,
    })),
  );
  return machine;
}
