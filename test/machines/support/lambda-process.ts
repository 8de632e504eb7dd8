/**
 * A Lambda function as Step Functions meets it: each invocation a process of its own on the
 * function's bundle as deployed (lambda-runtime.mjs), with the function's environment. The
 * invocation believes it has `budgetMs` (its context counts down from it) and is stopped at it as
 * Lambda stops a function at its timeout (`Sandbox.Timedout`); `killAtMs` kills it sooner, as a
 * crash or running out of memory does (`Lambda.Unknown`, Step Functions' name for both).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

const RUNTIME = join(import.meta.dirname, 'lambda-runtime.mjs');

export interface InvocationPolicy {
  /** The time the invocation is told it has (the function's timeout, or a smaller cap). */
  budgetMs: number;
  /** Killed at this many milliseconds after it started, whatever it believes. */
  killAtMs?: number;
}

export interface InvocationRecord {
  function: string;
  event: unknown;
  startedAt: number;
  ms: number;
  outcome: 'answered' | 'failed' | 'killed' | 'timed out';
  error?: string;
  /** Peak resident memory of the invocation's process (undefined when it was killed). */
  maxRssMb?: number;
  /** The end of what it printed (its JSON log lines and metrics). */
  output: string;
}

/** What a failed invocation throws: named as Step Functions names the task's error. */
export class LambdaTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Answer {
  ok: boolean;
  result?: unknown;
  errorType?: string;
  errorMessage?: string;
  maxRssKb?: number;
}

export async function invokeInProcess(
  fn: { name: string; bundle: string; environment: Record<string, string> },
  event: unknown,
  policy: InvocationPolicy,
  record: (invocation: InvocationRecord) => void,
): Promise<unknown> {
  const startedAt = Date.now();
  const child: ChildProcess = fork(RUNTIME, [fn.bundle], {
    env: fn.environment,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // The end of the function's logs (JSON lines, EMF metrics) is kept for the test to read.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stopAt = Math.min(policy.budgetMs, policy.killAtMs ?? Number.POSITIVE_INFINITY);
  const killedAs =
    policy.killAtMs !== undefined && policy.killAtMs < policy.budgetMs ? 'killed' : 'timed out';
  const done = new Promise<Answer | 'stopped' | 'exited'>((resolve) => {
    child.once('message', (answer) => resolve(answer as Answer));
    child.once('exit', () => resolve('exited'));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), stopAt);
  child.send({ event, deadline: startedAt + policy.budgetMs, requestId: randomUUID() });
  const answer = await done;
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  const ms = Date.now() - startedAt;
  const base = { function: fn.name, event, startedAt, ms, output };
  if (typeof answer !== 'object') {
    const outcome = ms >= stopAt - 50 ? killedAs : 'killed';
    record({ ...base, outcome });
    throw outcome === 'timed out'
      ? new LambdaTaskError('Sandbox.Timedout', `Task timed out after ${(ms / 1000).toFixed(2)} seconds`)
      : new LambdaTaskError(
          'Lambda.Unknown',
          'The invocation ended without an answer (its process was killed)',
        );
  }
  const maxRssMb = answer.maxRssKb !== undefined ? Math.round(answer.maxRssKb / 102.4) / 10 : undefined;
  if (answer.ok) {
    record({ ...base, outcome: 'answered', ...(maxRssMb !== undefined ? { maxRssMb } : {}) });
    return answer.result;
  }
  const name = answer.errorType ?? 'Error';
  record({ ...base, outcome: 'failed', error: name, ...(maxRssMb !== undefined ? { maxRssMb } : {}) });
  throw new LambdaTaskError(name, JSON.stringify({ errorType: name, errorMessage: answer.errorMessage }));
}
