/**
 * What a kind must not do when something it depends on went wrong: land an object somewhere it
 * does not belong, forget an id, or create an object twice. Each case was once a bug.
 */
import { describe, expect, it } from 'vitest';
import { credentialsKind } from '../../../functions/core/kinds/credentials/index.js';
import { dataTablesKind } from '../../../functions/core/kinds/data-tables/index.js';
import { foldersKind } from '../../../functions/core/kinds/folders.js';
import { variablesKind } from '../../../functions/core/kinds/variables.js';
import { RestoreLedger } from '../../../functions/core/restore/ledger.js';
import { InjectedCrash } from '../fakes/memory-n8n.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { InMemoryLedgerStore } from '../support/in-memory-ledger-store.js';
import { applyStep, clock, emptySource, exactlyOne, newLedger, planKind, refuseWrites } from './support.js';

const [createFolders] = foldersKind.steps;
const [writeVariables] = variablesKind.steps;
const [createCredentials] = credentialsKind.steps;
const [, fillRows] = dataTablesKind.steps;

describe('an object whose place could not be restored fails; it never lands elsewhere', () => {
  it("does not put a child at its project's top level when its parent could not be created", async () => {
    // Prepare
    const source = emptySource();
    const ops = source.seedProject('Ops');
    const billing = source.seedFolder('Billing', ops.id);
    const invoices = source.seedFolder('Invoices', ops.id, billing.id);
    const target = emptyTarget();
    target.seedProject('Ops');
    const planned = await planKind(foldersKind, source, target);
    refuseWrites(target, 'createFolder', (_project, body) => body.name === 'Billing');

    // Act
    const ledger = await applyStep(createFolders, planned);

    // Assess
    expect(target.folders).toEqual([]);
    expect(ledger.hasFailed('folders', invoices.id)).toBe(true);
    expect(ledger.state.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/"Billing\/Invoices".*its parent folder could not be restored/),
    );
  });

  it('does not make a variable global when its project could not be created', async () => {
    // Prepare
    const source = emptySource();
    const ops = source.seedProject('Ops');
    source.seedVariable('REGION', 'eu-west-1');
    const channel = source.seedVariable('OPS_CHANNEL', '#ops', ops);
    const target = emptyTarget();
    const planned = await planKind(variablesKind, source, target);

    // Act: the projects step could not create Ops
    const ledger = await applyStep(writeVariables, planned, { ids: { projects: {} } });

    // Assess
    expect(target.variables.map((v) => v.key)).toEqual(['REGION']);
    expect(ledger.hasFailed('variables', channel.id)).toBe(true);
  });
});

describe('nothing an interrupted run created is forgotten or made twice', () => {
  it('learns the id of a variable created just before an interruption', async () => {
    // Prepare: the run stops after creating REGION, before listing the new ids
    const source = emptySource();
    const region = source.seedVariable('REGION', 'eu-west-1');
    source.seedVariable('ZONE', 'a');
    const target = emptyTarget();
    const planned = await planKind(variablesKind, source, target);
    const store = new InMemoryLedgerStore();
    const interrupted = newLedger(planned, store);
    target.crashAtWrite = target.writes.length + 2;
    await expect(applyStep(writeVariables, planned, { ledger: interrupted })).rejects.toThrow(InjectedCrash);
    await interrupted.save();
    const reloaded = await RestoreLedger.load(store, clock, {
      archiveDigest: planned.plan.archive.digest,
      target: planned.plan.target.url,
    });

    // Act
    const ledger = await applyStep(writeVariables, planned, {
      resumed: true,
      ...(reloaded ? { ledger: reloaded } : {}),
    });

    // Assess
    expect(ledger.targetId('variables', region.id)).toBe(
      exactlyOne(target.variables, (v) => v.key === 'REGION').id,
    );
    expect(target.variables.map((v) => v.key).sort()).toEqual(['REGION', 'ZONE']);
  });

  it.each([true, false])(
    'lists an adopted stub as awaiting its secret (step resumed: %s)',
    async (resumed) => {
      // Prepare: an earlier run created both stubs, and its ledger was lost
      const target = emptyTarget();
      const planned = await planKind(credentialsKind, seededSource(), target);
      await applyStep(createCredentials, planned);

      // Act
      const ledger = await applyStep(createCredentials, planned, { resumed });

      // Assess
      expect(ledger.state.credentialsAwaitingSecrets.map((c) => c.id).sort()).toEqual([
        'credHeader000001',
        'credSlack0000001',
      ]);
      expect(target.credentials).toHaveLength(2);
    },
  );

  it('adopts, when resumed, a credential an interrupted run created under a new id', async () => {
    // Prepare
    const source = seededSource();
    source.seedCredential('Legacy', 'httpHeaderAuth', source.ownerPersonalProjectId, 'legacy.credential.id');
    const target = emptyTarget();
    const planned = await planKind(credentialsKind, source, target);
    await applyStep(createCredentials, planned);

    // Act
    await applyStep(createCredentials, planned, { resumed: true });

    // Assess
    expect(target.credentials.filter((c) => c.name === 'Legacy')).toHaveLength(1);
  });
});

describe('rows', () => {
  it('counts a table emptied to match an archive without rows as updated', async () => {
    // Prepare
    const source = seededSource();
    source.rows.set(source.dataTables.find((t) => t.name === 'orders')?.id ?? '', []);
    const target = emptyTarget();
    const orders = target.seedDataTable(
      'orders',
      [
        { name: 'number', type: 'number' },
        { name: 'total', type: 'number' },
      ],
      [{ number: 1, total: 1 }],
    );
    const planned = await planKind(dataTablesKind, source, target, {
      conflicts: { dataTableRows: 'replace' },
    });

    // Act
    const ledger = await applyStep(fillRows, planned);

    // Assess
    expect(planned.entries.find((e) => e.name === 'orders')?.action).toBe('update');
    expect(target.rows.get(orders.id)).toEqual([]);
    expect(ledger.state.updated.dataTables).toBe(1);
  });
});
