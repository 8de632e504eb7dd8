/**
 * The fault suite's matrix as a report: backups, restores and migrations of a seeded API double
 * through seeded fault proxies, one markdown row per operation and fault rate.
 *
 *   npx tsx scripts/fault-report.ts [--seeds 20] [--rates 0.05,0.1,0.2] [--operations restore,migrate,backup]
 *                                   [--first-seed 1] [--concurrency 3] [--verbose]
 *
 * A scenario that did not converge, lost an object or made a duplicate is printed on stderr with its
 * seed (rerun it alone with --first-seed <seed> --seeds 1), and the exit code is 1.
 */
import { parseArgs } from 'node:util';
import {
  createFaultWorld,
  FAULT_OPERATIONS,
  type FaultOperation,
  faultMatrix,
  formatMatrix,
  runFaultMatrix,
  type ScenarioResult,
  summarise,
} from '../test/integration/support/fault-scenarios.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    rates: { type: 'string', default: '0.05,0.1,0.2' },
    operations: { type: 'string', default: FAULT_OPERATIONS.join(',') },
    'first-seed': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '3' },
    verbose: { type: 'boolean', default: false },
  },
});
const operations = values.operations.split(',').filter(Boolean) as FaultOperation[];
const unknown = operations.filter((operation) => !FAULT_OPERATIONS.includes(operation));
if (unknown.length > 0) throw new Error(`Unknown operations: ${unknown.join(', ')}`);
const seeds = Number(values.seeds);
const rates = values.rates.split(',').map(Number);

const failed = (result: ScenarioResult) =>
  !result.converged || result.lost > 0 || result.duplicates > 0 || result.differences.length > 0;

const world = await createFaultWorld();
const started = performance.now();
try {
  const results = await runFaultMatrix(
    world,
    faultMatrix(
      Object.fromEntries(operations.map((operation) => [operation, seeds])),
      rates,
      Number(values['first-seed']),
    ),
    {
      concurrency: Number(values.concurrency),
      onResult: (result) => {
        if (failed(result) || values.verbose) {
          process.stderr.write(
            `${failed(result) ? 'FAILED' : 'ok'} ${result.operation} seed ${result.seed} rate ${result.rate}: ${JSON.stringify(
              {
                invocations: result.invocations,
                lost: result.lost,
                duplicates: result.duplicates,
                differences: result.differences.slice(0, 10),
                countMismatches: result.countMismatches,
                errors: result.errors,
                durationMs: result.durationMs,
              },
            )}\n`,
          );
        }
      },
    },
  );
  const elapsed = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${formatMatrix(summarise(results))}\n\n`);
  process.stdout.write(
    `${results.length} scenarios on a source of ${world.seeded.workflows} workflows, ${world.seeded.dataTableRows} rows in ${world.seeded.dataTables} tables, in ${elapsed} s\n`,
  );
  if (results.some(failed)) process.exitCode = 1;
} finally {
  await world.close();
}
