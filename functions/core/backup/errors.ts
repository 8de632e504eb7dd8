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

/** A kind the API key may not read, and the scope n8n named for it. */
export interface UnreadableKind {
  resource: string;
  scope?: string;
}

/**
 * Kinds the key may not read make an incomplete backup: nothing is published until the key gets
 * the scopes, or the operator leaves the kinds out on purpose.
 */
export function backupLacksKinds(kinds: readonly UnreadableKind[]): BackupIncompleteError {
  const named = kinds.map((k) => `${k.resource} (n8n wants ${k.scope ?? 'a scope it did not name'})`);
  const scopes = [...new Set(kinds.flatMap((k) => (k.scope ? [k.scope] : [])))];
  const resources = kinds.map((k) => k.resource).join(',');
  return new BackupIncompleteError(
    `the backup would be incomplete, so no archive was published: the API key may not read ${named.join(', ')}. Give the key ${scopes.length === 1 ? 'that scope' : 'those scopes'} in n8n (Settings → n8n API), or leave ${kinds.length === 1 ? 'it' : 'them'} out on purpose: --exclude ${resources} ("exclude" in the instance's cdk.json)`,
    { problems: named },
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
