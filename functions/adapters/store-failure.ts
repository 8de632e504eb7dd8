import { StoreError } from '../core/errors.js';

/**
 * A store operation that failed: `what` says which and where (e.g. "cannot list s3://bucket/prefix"),
 * the vendor's reason follows, and the vendor's error is kept as the cause.
 */
export function storeFailure(what: string, location: string, error: unknown): StoreError {
  return new StoreError(`${what}: ${(error as Error).message}`, { location }, { cause: error });
}
