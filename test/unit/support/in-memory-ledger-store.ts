import type { LedgerStore } from '../../../functions/core/ports.js';

/** A LedgerStore in memory: what was saved last, and how often. */
export class InMemoryLedgerStore implements LedgerStore {
  readonly description = 'in-memory ledger';
  contents: string | undefined;
  saves = 0;

  async load(): Promise<string | undefined> {
    return this.contents;
  }

  async save(contents: string): Promise<void> {
    this.contents = contents;
    this.saves += 1;
  }
}
