/**
 * Create-or-adopt, the one way every kind creates an object. A write whose answer was lost, or a
 * run that crashed between a create and the ledger save, leaves an object the ledger does not know.
 * Before creating, a resumed step looks for an unclaimed target object with the same natural key
 * and adopts it; a create refused with 409 (the object exists) looks again. So a crash at any point
 * leaves no duplicate behind.
 */
import { ConflictError } from '../errors.js';
import { collect } from '../json.js';
import type { RestoreResource } from '../kinds/index.js';
import type { RestoreLedger } from './ledger.js';

export interface AdoptionSource<T extends { id: string }> {
  /** Lists the target's objects of this kind (in the scope the step writes to). */
  list: () => AsyncIterable<T>;
  /** The natural keys a target object answers to (several when its place can be told more than one way). */
  keys: (item: T) => string[];
}

export class Adoption<T extends { id: string }> {
  private index: Map<string, string[]> | undefined;
  /** Target ids the ledger accounts for, plus those taken since: never adopted twice. */
  private claimed = new Set<string>();

  /** `resumed`: an earlier run may have created objects the ledger lacks, so look before creating. */
  constructor(
    private readonly ledger: RestoreLedger,
    private readonly resource: RestoreResource,
    private readonly source: AdoptionSource<T>,
    private readonly resumed: boolean,
  ) {}

  /** An unclaimed target object with this key, now claimed; undefined when there is none. */
  async take(key: string): Promise<string | undefined> {
    if (!this.resumed && !this.index) return undefined;
    this.index ??= await this.build();
    const ids = this.index.get(key) ?? [];
    while (ids.length > 0) {
      const id = ids.shift() as string;
      if (!this.claimed.has(id)) {
        this.claimed.add(id);
        return id;
      }
    }
    return undefined;
  }

  /** Adopts the object with this key if there is one, else creates it; a 409 on create adopts what exists. */
  async createOrAdopt(key: string, create: () => Promise<string>): Promise<string> {
    const adopted = await this.take(key);
    if (adopted) return adopted;
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      this.index = await this.build();
      const existing = await this.take(key);
      if (!existing) throw error;
      return existing;
    }
  }

  /** Lists again (after creates whose answers carry no id, like variables). */
  async refresh(): Promise<void> {
    this.index = await this.build();
  }

  private async build(): Promise<Map<string, string[]>> {
    this.claimed = this.ledger.claimedTargetIds(this.resource);
    const index = new Map<string, string[]>();
    for (const item of await collect(this.source.list())) {
      if (this.claimed.has(item.id)) continue;
      for (const key of this.source.keys(item)) index.set(key, [...(index.get(key) ?? []), item.id]);
    }
    return index;
  }
}
