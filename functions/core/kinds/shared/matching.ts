/**
 * Planning matches each archive object to at most one target object with the same natural key.
 * Target objects are filed under every key they answer to; once claimed by one archive object, an
 * object is taken under all of them.
 */
export class TargetMatcher<T extends { id: string }> {
  private readonly byKey = new Map<string, T[]>();
  private readonly claimed = new Set<string>();

  constructor(items: Iterable<T>, keys: (item: T) => string[]) {
    for (const item of items)
      for (const key of keys(item)) {
        const list = this.byKey.get(key);
        if (list) list.push(item);
        else this.byKey.set(key, [item]);
      }
  }

  /** The first unclaimed object with this key that `accept` allows, without claiming it. */
  find(key: string, accept: (item: T) => boolean = () => true): T | undefined {
    return this.byKey.get(key)?.find((item) => !this.claimed.has(item.id) && accept(item));
  }

  claim(item: T): void {
    this.claimed.add(item.id);
  }

  isClaimed(id: string): boolean {
    return this.claimed.has(id);
  }
}
