import { describe, expect, it } from 'vitest';
import { RestoreError } from '../../functions/core/errors.js';
import type { Clock } from '../../functions/core/ports.js';
import { type LedgerState, RestoreLedger } from '../../functions/core/restore/ledger.js';
import type { RestorePlan } from '../../functions/core/restore/types.js';
import { InMemoryLedgerStore } from './support/in-memory-ledger-store.js';

const DIGEST = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';
const TARGET = 'https://n8n.example.com';

/** A clock that stands still until the test moves it. */
class FakeClock implements Clock {
  private ms = Date.parse('2026-11-22T02:00:00.000Z');

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

function minimalPlan(overrides: Partial<RestorePlan> = {}): RestorePlan {
  return {
    archive: {
      digest: DIGEST,
      instance: 'prod',
      sourceUrl: 'https://source.example.com',
      startedAt: '2026-11-21T00:00:00.000Z',
    },
    target: { url: TARGET, projects: true, folders: true, variables: true, dataTables: true, tags: true },
    onConflict: 'skip',
    entries: [
      { resource: 'tags', sourceId: 't1', name: 'billing', action: 'create', reason: 'not in the target' },
      {
        resource: 'workflows',
        sourceId: 'w1',
        name: 'Orders',
        action: 'create',
        reason: 'not in the target',
      },
    ],
    notes: ['a note for the operator'],
    warnings: [],
    ...overrides,
  };
}

function savedState(store: InMemoryLedgerStore): LedgerState {
  if (store.contents === undefined) throw new Error('nothing was saved');
  return JSON.parse(store.contents) as LedgerState;
}

/** Rewrites the saved ledger as another run (or another tool) might have left it. */
function tamper(store: InMemoryLedgerStore, change: (state: Record<string, unknown>) => void): void {
  const state = savedState(store) as unknown as Record<string, unknown>;
  change(state);
  store.contents = JSON.stringify(state);
}

/** A new ledger of the minimal plan, over an empty store and a clock standing still. */
function newLedger(checkpointPolicy?: Parameters<typeof RestoreLedger.create>[3]) {
  const store = new InMemoryLedgerStore();
  const clock = new FakeClock();
  return { store, clock, ledger: RestoreLedger.create(store, clock, minimalPlan(), checkpointPolicy) };
}

async function savedLedger(): Promise<{ store: InMemoryLedgerStore; clock: FakeClock }> {
  const { store, clock, ledger } = newLedger();
  await ledger.save();
  return { store, clock };
}

/** Loads what the store holds as a later run of this restore (same archive, same target) would. */
function reload(
  store: InMemoryLedgerStore,
  clock: Clock = new FakeClock(),
): Promise<RestoreLedger | undefined> {
  return RestoreLedger.load(store, clock, { archiveDigest: DIGEST, target: TARGET });
}

describe('RestoreLedger round trip', () => {
  it('keeps ids, progress marks, failed objects, counts, warnings and step statuses through save and load', async () => {
    // Prepare
    const { store, clock, ledger } = newLedger();
    ledger.recordId('workflows', 'w1', 'target-w1');
    ledger.recordId('tags', 't1', 'target-t1');
    await ledger.startStep('tags');
    await ledger.finishStep('tags');
    await ledger.startStep('workflows');
    ledger.mark('workflows', 'w1');
    ledger.markFailed('workflows', 'w2');
    ledger.count('created', 'workflows', 2);
    ledger.count('failed', 'dataTableRows');
    ledger.warn({ code: 'unresolved-reference', message: 'calls a workflow not in the archive' });

    // Act
    await ledger.save();
    const loaded = await reload(store, clock);

    // Assess
    expect(loaded).toBeDefined();
    expect(loaded?.targetId('workflows', 'w1')).toBe('target-w1');
    expect(loaded?.targetId('tags', 't1')).toBe('target-t1');
    expect(loaded?.targetId('workflows', 'w2')).toBeUndefined();
    expect(loaded?.isMarked('workflows', 'w1')).toBe(true);
    expect(loaded?.isMarked('workflows', 'w2')).toBe(false);
    expect(loaded?.hasFailed('workflows', 'w2')).toBe(true);
    expect(loaded?.hasFailed('workflows', 'w1')).toBe(false);
    expect(loaded?.state.created.workflows).toBe(2);
    expect(loaded?.state.failed.dataTableRows).toBe(1);
    expect(loaded?.state.created.tags).toBe(0);
    expect(loaded?.state.warnings).toEqual([
      { code: 'unresolved-reference', message: 'calls a workflow not in the archive' },
    ]);
    expect(loaded?.stepStatus('tags')).toBe('done');
    expect(loaded?.stepStatus('workflows')).toBe('running');
    expect(loaded?.stepStatus('activation')).toBe('pending');
    expect(loaded?.state.plan).toEqual(minimalPlan());
  });

  it('loads nothing when the store holds no ledger', async () => {
    // Prepare
    const store = new InMemoryLedgerStore();

    // Act
    const loaded = await reload(store);

    // Assess
    expect(loaded).toBeUndefined();
  });
});

describe('RestoreLedger.load refuses a ledger that is not this restore', () => {
  async function loadError(store: InMemoryLedgerStore, expected = { archiveDigest: DIGEST, target: TARGET }) {
    return RestoreLedger.load(store, new FakeClock(), expected).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('refuses a ledger of another archive, telling to keep the ledger elsewhere or move it away', async () => {
    // Prepare
    const { store } = await savedLedger();
    const otherDigest = `ffff${DIGEST.slice(4)}`;

    // Act
    const error = await loadError(store, { archiveDigest: otherDigest, target: TARGET });

    // Assess
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toMatch(/belongs to another archive/);
    expect((error as Error).message).toMatch(/Keep this restore's ledger elsewhere, or move that one away/);
  });

  it('refuses a ledger of another target URL, telling to keep the ledger elsewhere', async () => {
    // Prepare
    const { store } = await savedLedger();

    // Act
    const error = await loadError(store, { archiveDigest: DIGEST, target: 'https://other.example.com' });

    // Assess
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toMatch(/records a restore into https:\/\/n8n\.example\.com/);
    expect((error as Error).message).toMatch(/Keep the ledger of a restore into this target elsewhere/);
  });

  it('accepts the same target written with a trailing slash or another case', async () => {
    // Prepare
    const { store, clock } = await savedLedger();

    // Act
    const withSlash = await RestoreLedger.load(store, clock, {
      archiveDigest: DIGEST,
      target: 'https://n8n.example.com/',
    });
    const upperCase = await RestoreLedger.load(store, clock, {
      archiveDigest: DIGEST,
      target: 'HTTPS://N8N.Example.COM//',
    });

    // Assess
    expect(withSlash?.state.target).toBe(TARGET);
    expect(upperCase?.state.target).toBe(TARGET);
  });

  it('refuses a ledger that is not valid JSON, telling to move it away', async () => {
    // Prepare
    const store = new InMemoryLedgerStore();
    store.contents = '{"format":"n8n-ark-restore-ledger",';

    // Act
    const error = await loadError(store);

    // Assess
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toMatch(/not valid JSON; move it away to start the restore afresh/);
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses a file of another format, telling to move it away or keep the ledger elsewhere', async () => {
    // Prepare
    const { store } = await savedLedger();
    tamper(store, (state) => {
      state.format = 'something-else';
    });

    // Act
    const error = await loadError(store);

    // Assess
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toMatch(/is not an n8n-ark restore ledger \(version 1\)/);
    expect((error as Error).message).toMatch(/move it away or keep this restore's ledger elsewhere/);
  });

  it('refuses a ledger of another version, telling to move it away or keep the ledger elsewhere', async () => {
    // Prepare
    const { store } = await savedLedger();
    tamper(store, (state) => {
      state.version = 2;
    });

    // Act
    const error = await loadError(store);

    // Assess
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toMatch(/move it away or keep this restore's ledger elsewhere/);
  });

  it('refuses JSON that is not an object at all, as not a ledger', async () => {
    // Prepare
    const store = new InMemoryLedgerStore();
    store.contents = 'null';

    // Act
    const error = await loadError(store);

    // Assess
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as Error).message).toMatch(/is not an n8n-ark restore ledger/);
  });
});

describe('RestoreLedger.checkpoint', () => {
  it('saves once the number of changes reaches everyChanges, not before', async () => {
    // Prepare
    const { store, ledger } = newLedger({ everyChanges: 3, everyMs: 60_000 });
    ledger.recordId('tags', 't1', 'x1');
    ledger.mark('tags', 't1');

    // Act
    await ledger.checkpoint();
    const savesBeforeThird = store.saves;
    ledger.count('created', 'tags');
    await ledger.checkpoint();

    // Assess
    expect(savesBeforeThird).toBe(0);
    expect(store.saves).toBe(1);
    expect(savedState(store).ids.tags).toEqual({ t1: 'x1' });
  });

  it('saves once everyMs has passed since the last save, not before', async () => {
    // Prepare
    const { store, clock, ledger } = newLedger({ everyChanges: 1000, everyMs: 1000 });
    ledger.recordId('workflows', 'w1', 'x1');

    // Act
    clock.advance(999);
    await ledger.checkpoint();
    const savesBeforeDue = store.saves;
    clock.advance(1);
    await ledger.checkpoint();

    // Assess
    expect(savesBeforeDue).toBe(0);
    expect(store.saves).toBe(1);
    expect(savedState(store).updatedAt).toBe(clock.now().toISOString());
  });

  it('measures everyMs from the last save, not from the start', async () => {
    // Prepare
    const { store, clock, ledger } = newLedger({ everyChanges: 1000, everyMs: 1000 });
    clock.advance(5000);
    await ledger.save();
    ledger.recordId('workflows', 'w1', 'x1');

    // Act
    clock.advance(500);
    await ledger.checkpoint();

    // Assess
    expect(store.saves).toBe(1);
  });

  it('does not save when nothing changed, however long it has been', async () => {
    // Prepare
    const { store, clock, ledger } = newLedger({ everyChanges: 1, everyMs: 1 });

    // Act
    clock.advance(60_000);
    await ledger.checkpoint();

    // Assess
    expect(store.saves).toBe(0);
  });
});

describe('RestoreLedger.save', () => {
  it('serialises the plan once, yet every save carries it', async () => {
    // Prepare
    const store = new InMemoryLedgerStore();
    const plan = minimalPlan();
    let planSerialisations = 0;
    Object.defineProperty(plan, 'toJSON', {
      enumerable: false,
      value: () => {
        planSerialisations += 1;
        const { ...copy } = plan;
        return copy;
      },
    });
    const ledger = RestoreLedger.create(store, new FakeClock(), plan);
    const plansSaved: unknown[] = [];

    // Act
    for (const id of ['t1', 't2', 't3']) {
      ledger.recordId('tags', id, `x-${id}`);
      await ledger.save();
      plansSaved.push(savedState(store).plan);
    }

    // Assess
    expect(planSerialisations).toBe(1);
    expect(plansSaved).toEqual([minimalPlan(), minimalPlan(), minimalPlan()]);
    expect(savedState(store).ids.tags).toEqual({ t1: 'x-t1', t2: 'x-t2', t3: 'x-t3' });
  });
});

describe('RestoreLedger steps and ids', () => {
  it("keeps a step's progress marks when the step finishes, so a retry of failed objects skips what is done", async () => {
    // Prepare
    const { store, ledger } = newLedger();
    ledger.mark('tags', 't1');
    ledger.mark('workflows', 'w1');

    // Act
    await ledger.finishStep('tags');

    // Assess
    expect(ledger.isMarked('tags', 't1')).toBe(true);
    expect(ledger.isMarked('workflows', 'w1')).toBe(true);
    expect(ledger.stepStatus('tags')).toBe('done');
    expect(savedState(store).progress).toEqual({ tags: ['t1'], workflows: ['w1'] });
  });

  it('claims exactly the target ids recorded for a resource, also after a reload', async () => {
    // Prepare
    const { store, clock, ledger } = newLedger();
    ledger.recordId('workflows', 'w1', 'target-1');
    ledger.recordId('workflows', 'w2', 'target-2');
    ledger.recordId('tags', 't1', 'target-tag');
    await ledger.save();

    // Act
    const claimed = ledger.claimedTargetIds('workflows');
    const reloaded = await reload(store, clock);

    // Assess
    expect(claimed).toEqual(new Set(['target-1', 'target-2']));
    expect(ledger.claimedTargetIds('credentials')).toEqual(new Set());
    expect(reloaded?.claimedTargetIds('workflows')).toEqual(new Set(['target-1', 'target-2']));
    expect(reloaded?.claimedTargetIds('tags')).toEqual(new Set(['target-tag']));
  });
});
