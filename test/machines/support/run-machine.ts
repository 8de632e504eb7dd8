/**
 * Executes a synthesized state machine with aws-local-stepfunctions, the definition as deployed:
 * each Lambda task invokes its function's staged bundle in a process of its own
 * (lambda-process.ts), as the `lambda:invoke` integration does (the function's answer under
 * `Payload`, a failure named by its error type); an SNS publish is recorded. Only time is changed:
 * a Retry runs again at once instead of after its interval.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { ACCOUNT, type DeployedApp, type DeployedFunction, REGION } from './deployed-app.js';
import { type InvocationPolicy, type InvocationRecord, invokeInProcess } from './lambda-process.js';

export interface Published {
  subject: string | undefined;
  message: unknown;
}

export interface MachineRun {
  /** The execution's output when it succeeded. */
  output?: unknown;
  /** The execution's failure: its error name and cause, as the console shows them. */
  error?: { name: string; cause: string };
  invocations: InvocationRecord[];
  published: Published[];
  ms: number;
}

export interface Invocation {
  state: string;
  function: DeployedFunction;
  /** 1 for a state's first invocation in the execution, counting every retry and loop. */
  n: number;
}

export interface RunOptions {
  executionName: string;
  /** The environment an invocation of `fn` runs with (the template's, resolved, plus the test's). */
  environment(fn: DeployedFunction): Record<string, string>;
  /** How long each invocation believes it has and when it is killed; default the function's timeout. */
  policy?(invocation: Invocation): InvocationPolicy;
}

type Handler = (input: unknown) => Promise<unknown>;

export async function runMachine(
  app: DeployedApp,
  machineId: string,
  input: unknown,
  options: RunOptions,
): Promise<MachineRun> {
  const definition = app.machine(machineId) as { States: Record<string, Record<string, unknown>> };
  const invocations: InvocationRecord[] = [];
  const published: Published[] = [];
  const calls = new Map<string, number>();
  const handlers: Record<string, Handler> = {};
  const retries: Record<string, number> = {};
  for (const [state, spec] of Object.entries(definition.States)) {
    if (spec.Retry) retries[state] = 0;
    if (spec.Type !== 'Task') continue;
    const resource = String(spec.Resource);
    if (resource.endsWith(':states:::lambda:invoke')) {
      handlers[state] = async (parameters) => {
        const { FunctionName, Payload } = parameters as { FunctionName: string; Payload: unknown };
        const fn = app.functionOf(FunctionName);
        const n = (calls.get(state) ?? 0) + 1;
        calls.set(state, n);
        const policy = options.policy?.({ state, function: fn, n }) ?? { budgetMs: fn.timeoutSeconds * 1000 };
        const result = await invokeInProcess(
          { name: `${state} (${fn.logicalId})`, bundle: fn.bundle, environment: options.environment(fn) },
          Payload,
          policy,
          (record) => invocations.push(record),
        );
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      };
    } else if (resource.endsWith(':states:::sns:publish')) {
      handlers[state] = async (parameters) => {
        const { Subject, Message } = parameters as { Subject?: string; Message: unknown };
        published.push({ subject: Subject, message: Message });
        return { MessageId: `message-${published.length}` };
      };
    } else throw new Error(`state ${state}: no local stand-in for ${resource}`);
  }
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const started = Date.now();
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: retries },
    context: {
      Execution: {
        Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machineId}:${options.executionName}`,
        Name: options.executionName,
      },
    } as never,
  });
  try {
    const output = await execution.result;
    return { output, invocations, published, ms: Date.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { name?: string; message?: string } }).cause;
    return {
      error: {
        name: cause?.name ?? (error as Error).name,
        cause: cause?.message ?? (error as Error).message,
      },
      invocations,
      published,
      ms: Date.now() - started,
    };
  }
}
