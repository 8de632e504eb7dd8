import { describe, expect, it } from 'vitest';
import { CutoverJournal } from '../../../functions/core/cutover/journal.js';
import type { LedgerStore } from '../../../functions/core/ports.js';

function memoryStore(): LedgerStore & { text?: string } {
  const store: LedgerStore & { text?: string } = {
    description: 'memory',
    load: async () => store.text,
    save: async (contents) => {
      store.text = contents;
    },
  };
  return store;
}

const clock = { now: () => new Date('2026-12-07T12:00:00.000Z') };
const pair = { source: 'https://old.example.com', target: 'https://new.example.com' };

describe('the cutover journal', () => {
  it('continues at the first step not done, with what the steps recorded', async () => {
    // Prepare
    const store = memoryStore();
    const journal = CutoverJournal.create(store, clock, pair);
    await journal.finishStep({ step: 'preflight', startedAt: '', finishedAt: '', ms: 1, summary: '' });
    await journal.update((state) => {
      state.copyArchive = 'a.zip';
      state.idMaps = { workflows: { w1: 't1' }, credentials: {}, dataTables: {} };
    });

    // Act
    const again = await CutoverJournal.load(store, clock, { source: `${pair.source}/`, target: pair.target });

    // Assess
    expect(again?.next).toBe('copy');
    expect(again?.state.copyArchive).toBe('a.zip');
    expect(again?.targetId('w1')).toBe('t1');
    expect(again?.targetId('w2')).toBe('w2');
  });

  it('refuses the journal of another pair of instances, and a file that is not one', async () => {
    const store = memoryStore();
    await CutoverJournal.create(store, clock, pair).save();

    await expect(
      CutoverJournal.load(store, clock, { source: pair.source, target: 'https://other.example.com' }),
    ).rejects.toThrow('records a cutover from https://old.example.com to https://new.example.com');
    store.text = '{"format":"something else"}';
    await expect(CutoverJournal.load(store, clock, pair)).rejects.toThrow(
      'is not an n8n-ark cutover journal',
    );
    store.text = '{';
    await expect(CutoverJournal.load(store, clock, pair)).rejects.toThrow('is not valid JSON');
  });
});
