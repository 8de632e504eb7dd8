/**
 * Copy while the source runs: the preflight's archive restored into the target with nothing
 * published (the switch publishes, once the source is frozen). Through its own ledger, so a copy
 * that stopped continues, and converging as any restore does: exit 0 only when it is complete.
 */
import { restorePassIncomplete } from './errors.js';
import type { CutoverJournal } from './journal.js';
import { passOptions, restoreInto } from './passes.js';
import type { CutoverDeps, CutoverOptions } from './types.js';

export async function copy(
  deps: CutoverDeps,
  options: CutoverOptions,
  journal: CutoverJournal,
): Promise<string> {
  const archive = journal.state.copyArchive;
  if (!archive) throw restorePassIncomplete('copy', '(no archive: the preflight did not finish)');
  const run = await restoreInto(deps, archive, passOptions(options.keepWorkflowIds));
  if (!run.report.complete) throw restorePassIncomplete('copy', archive);
  const created = Object.values(run.report.created).reduce((a, b) => a + b, 0);
  const updated = Object.values(run.report.updated).reduce((a, b) => a + b, 0);
  return `restored ${archive} with nothing published: ${created} created, ${updated} updated`;
}
