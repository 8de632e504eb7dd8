/**
 * Reading one resource of a live instance when the instance may not have it: an unlicensed feature
 * (403 "license does not allow for feat:…") or a scope the key lacks is not a failure but a reason
 * the resource is unavailable. Backup, restore planning and diff all read this way.
 */
import { FeatureNotLicensedError, MissingScopeError } from '../errors.js';

/** Why a listing is unavailable, or undefined when the error is a real failure (to be rethrown). */
export function unavailableReason(error: unknown): string | undefined {
  if (error instanceof FeatureNotLicensedError) return `the instance is not licensed for ${error.feature}`;
  if (error instanceof MissingScopeError) return `the API key lacks the ${error.scope ?? 'required'} scope`;
  return undefined;
}

export type Listing<T> = { items: T[] } | { unavailable: string };

/** Lists a resource whole (only for listings small by nature), or says why it cannot. */
export async function readListing<T>(list: () => AsyncIterable<T>): Promise<Listing<T>> {
  const items: T[] = [];
  try {
    for await (const item of list()) items.push(item);
    return { items };
  } catch (error) {
    const reason = unavailableReason(error);
    if (reason === undefined) throw error;
    return { unavailable: reason };
  }
}

/** Reads the first item only: enough to learn whether the resource can be read at all. */
export async function probeListing(list: () => AsyncIterable<unknown>): Promise<string | undefined> {
  try {
    const iterator = list()[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    return undefined;
  } catch (error) {
    const reason = unavailableReason(error);
    if (reason === undefined) throw error;
    return reason;
  }
}
