/**
 * The closing check of a restore that ran, asked again and writing nothing: what the Step Functions
 * restore reports once its last slice is done (its verify step). It judges what the restore's plan
 * wrote, as its ledger records it, against the target now, so `equal: false` means something the
 * restore wrote did not land or does not run, never a difference the restore did not promise.
 */
import { createApplyContext } from './apply.js';
import { closingCheck } from './closing-check.js';
import { RestoreLedger } from './ledger.js';
import { isObjectFailure } from './ledger-state.js';
import { manifestDigest } from './plan.js';
import type { RestoreDeps } from './types.js';

export interface RestoreCheck {
  /** Whether the target holds and runs what the restore wrote, as its closing check judges. */
  equal: boolean;
  differences: number;
  /** The first objects not as written, readable (`workflows "Orders": … is not in the target`). */
  sample: string[];
}

export async function recheckRestore(
  deps: Pick<RestoreDeps, 'archive' | 'api' | 'ledgerStore' | 'clock' | 'logger' | 'progress' | 'pause'>,
  sampleSize = 20,
): Promise<RestoreCheck> {
  const ledger = await RestoreLedger.load(deps.ledgerStore, deps.clock, {
    archiveDigest: manifestDigest(deps.archive.manifest),
    target: deps.api.baseUrl,
  });
  if (!ledger)
    return {
      equal: false,
      differences: 0,
      sample: [`no restore of this archive into ${deps.api.baseUrl} is recorded (a dry run writes nothing)`],
    };
  if (!ledger.finished) {
    const failed = ledger.state.warnings.filter(isObjectFailure).map((w) => w.message);
    return {
      equal: false,
      differences: ledger.failures.length,
      sample: failed.length > 0 ? failed.slice(0, sampleSize) : ['the restore has not finished'],
    };
  }
  const activate = ledger.state.round?.options.activate !== false;
  const ctx = createApplyContext(ledger.state.plan, deps, { workflowWrite: { activate } }, ledger);
  const found = await closingCheck(ctx, ledger);
  return {
    equal: found.length === 0,
    differences: found.length,
    sample: found.slice(0, sampleSize).map((object) => `${object.resource} "${object.name}": ${object.why}`),
  };
}
