import { resolve } from 'node:path';
import { FolderArchiveStore } from '../adapters/folder-store.js';
import type { ArchiveStore } from '../core/ports.js';

/** Where archives go when --store is not given: a folder beside the working directory. */
export const DEFAULT_STORE = './n8n-ark-backups';

export function isS3Location(location: string): boolean {
  return location.startsWith('s3://');
}

/**
 * Builds the archive store named by --store: `s3://bucket/prefix` or a folder path. The S3 adapter
 * (and the AWS SDK behind it) is loaded only when asked for, so folder users start fast.
 */
export async function storeFromOption(store: string | undefined): Promise<ArchiveStore> {
  const location = store ?? DEFAULT_STORE;
  if (isS3Location(location)) {
    const { s3StoreFromUrl } = await import('../adapters/s3-archive-store.js');
    return s3StoreFromUrl(location);
  }
  return new FolderArchiveStore(resolve(location));
}

/** The store that can open an archive given by its location (a path or an s3:// URL). */
export async function storeForArchive(location: string): Promise<ArchiveStore> {
  if (isS3Location(location)) {
    const { s3StoreFromUrl } = await import('../adapters/s3-archive-store.js');
    return s3StoreFromUrl(location);
  }
  return new FolderArchiveStore(resolve('.'));
}
