/**
 * Create-or-adopt, the one way every kind creates an object. A write whose answer was lost, or a
 * run that crashed between a create and the ledger save, leaves an object the ledger does not know.
 * Before creating, a resumed step looks for an unclaimed target object with the same natural key
 * and adopts it; a create refused with 409 (the object exists) looks again. So a crash at any point
 * leaves no duplicate behind.
 */
import { AmbiguousWriteError, ConflictError, N8nApiError } from '../../errors.js';
import { collect } from '../../json.js';
import type { RestoreResource } from '../index.js';
import type { KindLedger } from '../kind.js';

/** Sends of one create whose answers were lost, before the object fails (every kind's creates). */
export const AMBIGUOUS_ATTEMPTS = 4;

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
    private readonly ledger: KindLedger,
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

  /**
   * Adopts the object with this key if there is one, else creates it. A 409 on create adopts what
   * exists; a create whose answer never came, or was a 400 that does not prove a refusal
   * (AmbiguousWriteError), looks again and adopts what it finds, or sends the create again: at most
   * AMBIGUOUS_ATTEMPTS sends, never two objects. When n8n answered the last of them, and the
   * object is still not there, n8n refused it: its answer is the failure.
   */
  async createOrAdopt(key: string, create: () => Promise<string>): Promise<string> {
    const adopted = await this.take(key);
    if (adopted) return adopted;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await create();
      } catch (error) {
        const ambiguous = error instanceof AmbiguousWriteError;
        if (!ambiguous && !(error instanceof ConflictError)) throw error;
        await this.refresh();
        const existing = await this.take(key);
        if (existing) return existing;
        if (!ambiguous) throw error;
        if (attempt >= AMBIGUOUS_ATTEMPTS) throw error.cause instanceof N8nApiError ? error.cause : error;
      }
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
