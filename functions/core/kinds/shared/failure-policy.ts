/**
 * Which failures end a run and which fail one object. A failure that says the run cannot go on
 * (n8n unreachable, key refused, a scope missing, a corrupt archive, a bad secret, a wait for n8n
 * past the deadline) ends it, and the ledger keeps what was done; any other n8n refusal fails that
 * object alone.
 */
import {
  ArchiveIntegrityError,
  ArkError,
  AuthenticationError,
  ConnectionError,
  MissingScopeError,
  PaginationError,
  RetryPastDeadlineError,
  SecretError,
} from '../../errors.js';

export function isFatal(error: unknown): boolean {
  return (
    !(error instanceof ArkError) ||
    error instanceof ConnectionError ||
    error instanceof AuthenticationError ||
    error instanceof MissingScopeError ||
    error instanceof PaginationError ||
    error instanceof RetryPastDeadlineError ||
    error instanceof ArchiveIntegrityError ||
    error instanceof SecretError
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
