import { resolve } from 'node:path';
import { FolderArchiveStore } from '../adapters/folder-store.js';
import type { PrunableStore } from '../core/ports.js';

/** Where archives go when --store is not given: a folder beside the working directory. */
export const DEFAULT_STORE = './n8n-ark-backups';

export function isS3Location(location: string): boolean {
  return location.startsWith('s3://');
}

/**
 * Builds the archive store named by --store: `s3://bucket/prefix` or a folder path. The S3 adapter
 * (and the AWS SDK behind it) is loaded only when asked for, so folder users start fast.
 */
export async function storeFromOption(
  store: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<PrunableStore> {
  const location = store ?? DEFAULT_STORE;
  if (isS3Location(location)) {
    return s3Store(location, env);
  }
  return new FolderArchiveStore(resolve(location));
}

/** The store that can open an archive given by its location (a path or an s3:// URL). */
export async function storeForArchive(location: string, env: NodeJS.ProcessEnv): Promise<PrunableStore> {
  if (isS3Location(location)) {
    return s3Store(location, env);
  }
  return new FolderArchiveStore(resolve('.'));
}

/**
 * The AWS SDK's default chain finds credentials, the region and AWS_ENDPOINT_URL(_S3);
 * N8N_ARK_S3_FORCE_PATH_STYLE=true in the environment handed in serves S3-compatible stores (MinIO,
 * moto) that lack virtual hosts.
 */
async function s3Store(location: string, env: NodeJS.ProcessEnv): Promise<PrunableStore> {
  const [{ S3Client }, { s3StoreFromUrl }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../adapters/s3-archive-store.js'),
  ]);
  const client = new S3Client({ forcePathStyle: env.N8N_ARK_S3_FORCE_PATH_STYLE === 'true' });
  return s3StoreFromUrl(location, client);
}
