/**
 * The final delta, from the frozen source: a fresh full backup restored over the target with
 * `--on-conflict overwrite` and `--data-table-rows replace`, still publishing nothing. What changed
 * on the source since the copy reaches the target: each workflow whose content, settings or
 * `staticData` (polling watermarks, counters) differs is overwritten; every data table's rows are
 * replaced by the frozen source's (rows written during the copy included); variables, tags,
 * credentials' metadata and folders converge as in any overwrite. Objects deleted on the source
 * meanwhile stay on the target (a restore never deletes). The id maps it records are what the switch
 * publishes through.
 */
import { restorePassIncomplete } from './errors.js';
import type { CutoverJournal } from './journal.js';
import { backupSource, passOptions, restoreInto } from './passes.js';
import type { CutoverDeps, CutoverOptions } from './types.js';

export async function delta(
  deps: CutoverDeps,
  options: CutoverOptions,
  journal: CutoverJournal,
): Promise<string> {
  if (!journal.state.deltaArchive) {
    const backup = await backupSource(deps, options.instance);
    await journal.update((state) => {
      state.deltaArchive = backup.location;
    });
  }
  const archive = journal.state.deltaArchive ?? '';
  const run = await restoreInto(
    deps,
    archive,
    passOptions(options.keepWorkflowIds, {
      conflicts: { onConflict: 'overwrite', dataTableRows: 'replace' },
    }),
  );
  if (!run.report.complete) throw restorePassIncomplete('delta', archive);
  const { idMap } = run.report;
  await journal.update((state) => {
    state.idMaps = {
      workflows: idMap.workflows,
      credentials: idMap.credentials,
      dataTables: idMap.dataTables,
    };
    state.awaitingSecrets = run.report.credentialsAwaitingSecrets.map((c) => c.name);
    state.toInvite = (run.report.waitingForAccount ?? []).map(
      (m) =>
        `member ${m.email} (${m.role}) has no account in the target: invite them, then add them to "${m.project}"`,
    );
  });
  const updated = Object.values(run.report.updated).reduce((a, b) => a + b, 0);
  const created = Object.values(run.report.created).reduce((a, b) => a + b, 0);
  return `restored the frozen source's ${archive} over the target: ${updated} updated, ${created} created`;
}
