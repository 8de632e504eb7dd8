import { resolve } from 'node:path';
import { FolderArchiveStore } from '../adapters/folder-store.js';
import type { OptionValues } from '../core/options/table.js';
import { switchOption, textOption } from '../core/options/values.js';
import type { PrunableStore } from '../core/ports.js';
import { badS3Endpoint } from './errors.js';

/** Where archives go when --store is not given: a folder beside the working directory. */
export const DEFAULT_STORE = './n8n-ark-backups';

/**
 * How an s3:// store is reached, for S3-compatible stores (MinIO, Cloudflare R2, Backblaze B2,
 * Wasabi; README "S3-compatible stores"). Each flag wins over the environment it stands for:
 * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, N8N_ARK_S3_FORCE_PATH_STYLE=true and AWS_REGION.
 */
export const S3_STORE_OPTIONS = {
  s3Endpoint: textOption(
    '<url>',
    "an S3-compatible store's endpoint, e.g. https://<account>.r2.cloudflarestorage.com (default: AWS, or AWS_ENDPOINT_URL_S3)",
  ),
  s3PathStyle: switchOption(
    'address buckets in the path (https://endpoint/bucket/key), for stores without a DNS name per bucket such as MinIO (default: N8N_ARK_S3_FORCE_PATH_STYLE=true)',
  ),
  s3Region: textOption('<region>', "the S3 store's region, e.g. auto for R2 (default: AWS_REGION)"),
} as const;

export type S3StoreFlags = OptionValues<typeof S3_STORE_OPTIONS>;

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
  s3: S3StoreFlags = {},
): Promise<PrunableStore> {
  const location = store ?? DEFAULT_STORE;
  if (isS3Location(location)) {
    return s3Store(location, env, s3);
  }
  return new FolderArchiveStore(resolve(location));
}

/** The store that can open an archive given by its location (a path or an s3:// URL). */
export async function storeForArchive(
  location: string,
  env: NodeJS.ProcessEnv,
  s3: S3StoreFlags = {},
): Promise<PrunableStore> {
  if (isS3Location(location)) {
    return s3Store(location, env, s3);
  }
  return new FolderArchiveStore(resolve('.'));
}

/**
 * The AWS SDK's default chain finds credentials, and the region and endpoint unless the flags give
 * them. Against another endpoint than AWS's, checksums are sent and checked only where an operation
 * requires them: the SDK's default (a CRC on every upload) is refused by some S3-compatible stores.
 */
async function s3Store(
  location: string,
  env: NodeJS.ProcessEnv,
  flags: S3StoreFlags,
): Promise<PrunableStore> {
  const [{ S3Client }, { s3StoreFromUrl }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../adapters/s3-archive-store.js'),
  ]);
  const endpoint = flags.s3Endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (flags.s3Endpoint !== undefined && !/^https?:\/\/[^/]/i.test(flags.s3Endpoint))
    throw badS3Endpoint(flags.s3Endpoint);
  const client = new S3Client({
    forcePathStyle: flags.s3PathStyle === true || env.N8N_ARK_S3_FORCE_PATH_STYLE === 'true',
    ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3Region ? { region: flags.s3Region } : {}),
    ...(endpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
  return s3StoreFromUrl(location, client);
}
