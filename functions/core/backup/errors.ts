/** The backup's failures, each saying that nothing was published and what to do next. */
import { BackupDeadlineError, BackupIncompleteError, StoreError } from '../errors.js';

/** Problems named in the error's message; the error's `problems` field has them all. */
const PROBLEMS_IN_MESSAGE = 10;

export function backupIncomplete(problems: readonly string[]): BackupIncompleteError {
  const shown = problems.slice(0, PROBLEMS_IN_MESSAGE);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return new BackupIncompleteError(
    `the backup cannot be confirmed complete, so no archive was published: ${shown.join('; ')}${more}. Run the backup again.`,
    { problems },
  );
}

export function backupPastDeadline(deadline: number): BackupDeadlineError {
  return new BackupDeadlineError(
    `the backup reached its deadline (${new Date(deadline).toISOString()}) before it was done; no archive was published`,
    { deadline },
  );
}

/** The state a sliced backup keeps between slices is not one (damaged, or not n8n-ark's). */
export function slicedStateUnreadable(where: string, cause?: unknown): StoreError {
  return new StoreError(
    `the sliced backup's state ${where} cannot be read as one; move it away and the next backup starts afresh`,
    { location: where },
    cause === undefined ? undefined : { cause },
  );
}
