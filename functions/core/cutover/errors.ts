/** The cutover's refusals and failures, each saying what was written and what to do next. */
import { CutoverError, CutoverRefusedError } from '../errors.js';
import type { CutoverJournal } from './journal.js';

const NEXT = 'run the same command again to continue, or with --rollback to put the source back';

export function journalNotJson(journal: string, cause: unknown): CutoverError {
  return new CutoverError(
    `The cutover journal ${journal} is not valid JSON; it cannot be continued.`,
    {
      step: 'journal',
    },
    { cause },
  );
}

export function notAJournal(journal: string): CutoverError {
  return new CutoverError(
    `${journal} is not an n8n-ark cutover journal; keep this cutover's journal elsewhere (--journal).`,
    { step: 'journal' },
  );
}

export function journalOfAnotherPair(
  journal: string,
  its: { source: string; target: string },
  pair: { source: string; target: string },
): CutoverError {
  return new CutoverError(
    `The cutover journal ${journal} records a cutover from ${its.source} to ${its.target}, not from ${pair.source} to ${pair.target}; keep this one's journal elsewhere (--journal).`,
    { step: 'journal' },
  );
}

export function cutoverIntoItself(url: string): CutoverRefusedError {
  return new CutoverRefusedError(
    `The source and the target are the same instance (${url}); nothing was written.`,
  );
}

export function preflightRefused(refusals: readonly string[]): CutoverRefusedError {
  return new CutoverRefusedError(
    `The cutover's preflight refuses, nothing was written:\n${refusals.map((r) => `  - ${r}`).join('\n')}`,
  );
}

export function restorePassIncomplete(step: string, archive: string, cause?: unknown): CutoverError {
  return new CutoverError(
    `The cutover's ${step} did not end complete (restore of ${archive}; see its warnings); ${NEXT}.`,
    { step },
    cause === undefined ? undefined : { cause },
  );
}

export function stillRunning(ids: readonly string[], waitedMs: number): CutoverError {
  return new CutoverError(
    `The source still runs ${ids.length} execution(s) of frozen workflows after ${Math.round(waitedMs / 1000)} s (${ids.slice(0, 5).join(', ')}); the source stays frozen and nothing was copied since. Let them end, then ${NEXT}.`,
    { step: 'freeze' },
  );
}

export function stepFailed(step: string, cause: unknown): CutoverError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new CutoverError(
    `The cutover stopped at its ${step}: ${why}. The journal keeps what was done; ${NEXT}.`,
    {
      step,
    },
    { cause },
  );
}

export function switchNotRunning(findings: readonly string[]): CutoverError {
  return new CutoverError(
    `The target does not run what the source ran:\n${findings.map((f) => `  - ${f}`).join('\n')}\nThe source stays frozen; ${NEXT}.`,
    { step: 'switch' },
  );
}

export function nothingToRollBack(journal: string): CutoverRefusedError {
  return new CutoverRefusedError(`No cutover journal at ${journal}: there is nothing to roll back.`);
}

export function rollbackIncomplete(findings: readonly string[]): CutoverError {
  return new CutoverError(
    `The rollback did not put everything back:\n${findings.map((f) => `  - ${f}`).join('\n')}\nRun --rollback again.`,
    { step: 'rollback' },
  );
}

export function republishedOnSource(names: readonly string[]): CutoverError {
  return new CutoverError(
    `Published again on the source since the freeze: ${names.map((n) => `"${n}"`).join(', ')}. Publishing them on the target would run them on both; nothing was published. Unpublish them on the source, then ${NEXT}.`,
    { step: 'switch' },
  );
}

/** Said beside an error of another command's family that stopped a step (n8n's answer, a store's failure). */
export function stoppedAt(step: string, journal: string): string {
  return `The cutover stopped at its ${step}; the journal ${journal} keeps what was done: ${NEXT}.`;
}

/** A preflight refusal: the switch could not publish this workflow on the target. */
export function lacksNodeTypes(workflow: string, types: readonly string[]): string {
  return `workflow "${workflow}" runs node types the target lacks (${types.join(', ')}): install their community packages on the target first`;
}

/** A dry run's note when a cutover between the two is under way (the source may be frozen). */
export function underWay(journal: CutoverJournal): string {
  const done = journal.state.done.map((d) => d.step).join(', ') || 'nothing yet';
  return `a cutover between these instances is under way (journal ${journal.description}; done: ${done}): the same command without --dry-run continues it, --rollback goes back`;
}

export function rollbackIsNoDryRun(): CutoverRefusedError {
  return new CutoverRefusedError(
    '--rollback writes to both instances and has no dry run: run --dry-run alone to see where a cutover stands.',
  );
}
