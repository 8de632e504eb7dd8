/**
 * What a failing 400 from n8n proves. n8n's Public API handlers turn any error thrown while they
 * work into `400 {message}` (2.41.1's `workflows.public.controller.js`, `updateWorkflow`: `if
 * (error instanceof Error) throw new BadRequestError(error.message)`), database failures included:
 * under load, `PUT /workflows/{id}` was answered `400 "timeout exceeded when trying to connect"` after
 * n8n had saved it (docs/REAL-N8N-FINDINGS.md). So a 400 proves a refusal only when its message is
 * one n8n gives for a body it refuses before writing anything: request validation (which runs before
 * any handler) and the refusals the contract suite records (test/contract/n8n-contract.ts, "which
 * answers prove a refusal"). Any other 400 to a write may follow a save, like a lost answer.
 */
import { isOutage, isTransient, refusedBeforeCarriedOut } from './retry-policy.js';

/** Refusals n8n makes before it writes: its request validators, then its handlers' own checks. */
const REFUSALS: readonly RegExp[] = [
  // express-openapi-validator and the body schemas, before any handler.
  /^request[/.]/,
  /^req\.body/,
  /^Unknown query parameter/,
  /^Parameter '.*' must be/,
  / is read-only$/,
  // The handlers' own checks of the body.
  /^Validation error with data table request/,
  /^Invalid enum value/,
  /contains credentials that are not shared with you/,
  /^Cannot publish workflow/,
  /^Unrecognized node type/,
  /^Workflow is not archived/,
  /^At least one workflowId, folderId, or projectId is required/,
  /not found or not accessible/,
  /^An invalid cursor was provided/,
];

/**
 * Messages of a database or connection failure inside n8n (PostgreSQL's pool and server, SQLite's
 * lock): whatever the status, the request may pass if asked again. Measured on Postgres-backed n8n
 * 2.41.1 with its database stalling (test/e2e/outage.e2e.test.ts): `400` from a handler after a
 * save, and `401 "timeout exceeded when trying to connect"` from the API-key check, before any handler.
 */
const INFRASTRUCTURE_FAILURES: readonly RegExp[] = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /terminating connection/i,
  /not currently accepting connections/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /too many clients/i,
  /Database is not ready/i,
  /Query read timeout/i,
  /SQLITE_BUSY|database is locked/i,
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE)\b/,
];

/**
 * `refused`: n8n refused the body, nothing was written. `infrastructure`: n8n's database or
 * connection failed; it may pass if asked again, and a write may have been saved. `unproven`: a 400
 * that proves neither: a write may have been saved.
 */
export type FailingAnswer = 'refused' | 'infrastructure' | 'unproven';

/** Whether n8n's message says its database or a connection of its own failed (any status). */
export function isInfrastructureFailure(message: string | undefined): boolean {
  return message !== undefined && INFRASTRUCTURE_FAILURES.some((failure) => failure.test(message));
}

/** What a 400 with this message (n8n's `message`, if any) proves. */
export function badRequestKind(message: string | undefined): FailingAnswer {
  if (message === undefined) return 'unproven';
  if (isInfrastructureFailure(message)) return 'infrastructure';
  return REFUSALS.some((refusal) => refusal.test(message)) ? 'refused' : 'unproven';
}

/**
 * What the client does with a failing answer: `fail` (n8n refused, or the failure is final),
 * `ambiguous` (a write that may have been carried out: the caller looks before writing again), or
 * `retry` (an outage — 502/503/504, a database failure — for the retry budget, else for --retries).
 */
export type FailingAnswerAction = { act: 'fail' } | { act: 'ambiguous' } | { act: 'retry'; outage: boolean };

export function failingAnswerAction(
  status: number,
  message: string | undefined,
  idempotent: boolean,
): FailingAnswerAction {
  // A database failure inside n8n, whatever status it came with (400 from a handler, 401 from the key check).
  const infrastructure = isInfrastructureFailure(message);
  if (!isTransient(status) && !infrastructure) {
    const unproven = status === 400 && badRequestKind(message) === 'unproven';
    return !idempotent && unproven ? { act: 'ambiguous' } : { act: 'fail' };
  }
  if (!idempotent && !refusedBeforeCarriedOut(status, message)) return { act: 'ambiguous' };
  return { act: 'retry', outage: isOutage(status) || infrastructure };
}
