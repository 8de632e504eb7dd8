import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderArchiveStore } from '../../functions/adapters/folder-store.js';
import { S3ArchiveStore } from '../../functions/adapters/s3-archive-store.js';
import { DEFAULT_STORE, isS3Location, storeForArchive, storeFromOption } from '../../functions/cli/stores.js';

const processValue = process.env.N8N_ARK_S3_FORCE_PATH_STYLE;
afterEach(() => {
  if (processValue === undefined) delete process.env.N8N_ARK_S3_FORCE_PATH_STYLE;
  else process.env.N8N_ARK_S3_FORCE_PATH_STYLE = processValue;
});

function s3Options(store: unknown): S3ArchiveStore['options'] {
  expect(store).toBeInstanceOf(S3ArchiveStore);
  return (store as S3ArchiveStore).options;
}

describe('isS3Location', () => {
  it('tells s3:// URLs from paths', () => {
    expect(isS3Location('s3://bucket/prefix')).toBe(true);
    expect(isS3Location('./s3/backups')).toBe(false);
    expect(isS3Location('/data/s3:/x')).toBe(false);
  });
});

describe('storeFromOption', () => {
  it('a folder path becomes a folder store at that absolute path', async () => {
    const store = await storeFromOption('./some/backups', {});

    expect(store).toBeInstanceOf(FolderArchiveStore);
    expect(store.description).toContain(resolve('./some/backups'));
  });

  it('no --store means the default folder', async () => {
    const store = await storeFromOption(undefined, {});

    expect(store).toBeInstanceOf(FolderArchiveStore);
    expect(store.description).toContain(resolve(DEFAULT_STORE));
  });

  it('s3://bucket/prefix becomes an S3 store on that bucket and prefix', async () => {
    const options = s3Options(await storeFromOption('s3://ark-archives/n8n/prod', {}));

    expect(options.bucket).toBe('ark-archives');
    expect(options.prefix).toBe('n8n/prod');
  });

  it('path-style S3 addressing follows the environment handed in, not the process environment', async () => {
    process.env.N8N_ARK_S3_FORCE_PATH_STYLE = 'true';

    const handedNothing = s3Options(await storeFromOption('s3://b/p', {}));
    const handedTrue = s3Options(await storeFromOption('s3://b/p', { N8N_ARK_S3_FORCE_PATH_STYLE: 'true' }));
    const handedOther = s3Options(await storeFromOption('s3://b/p', { N8N_ARK_S3_FORCE_PATH_STYLE: 'yes' }));

    expect(handedNothing.client.config.forcePathStyle).toBe(false);
    expect(handedTrue.client.config.forcePathStyle).toBe(true);
    expect(handedOther.client.config.forcePathStyle).toBe(false);
  });
});

describe('storeForArchive', () => {
  it('a local archive path is opened through a folder store on the working directory', async () => {
    const store = await storeForArchive('./backups/prod/2026-11-22T01-00-00-000Z.zip', {});

    expect(store).toBeInstanceOf(FolderArchiveStore);
    expect(store.description).toContain(resolve('.'));
  });

  it('an s3:// archive is opened through an S3 store whose addressing follows the environment handed in', async () => {
    const location = 's3://ark-archives/n8n/prod/2026/11/22/x.zip?versionId=v1';

    const pathStyle = s3Options(await storeForArchive(location, { N8N_ARK_S3_FORCE_PATH_STYLE: 'true' }));
    const virtualHosts = s3Options(await storeForArchive(location, {}));

    expect(pathStyle.bucket).toBe('ark-archives');
    expect(pathStyle.client.config.forcePathStyle).toBe(true);
    expect(virtualHosts.client.config.forcePathStyle).toBe(false);
  });
});

describe('S3-compatible stores by flag', () => {
  it('--s3-endpoint, --s3-path-style and --s3-region configure the client, over the environment', async () => {
    const options = s3Options(
      await storeFromOption(
        's3://b/p',
        { AWS_ENDPOINT_URL: 'http://elsewhere:1' },
        {
          s3Endpoint: 'https://acct.r2.cloudflarestorage.com',
          s3PathStyle: true,
          s3Region: 'auto',
        },
      ),
    );
    const endpoint = await options.client.config.endpoint?.();

    expect(endpoint?.hostname).toBe('acct.r2.cloudflarestorage.com');
    expect(options.client.config.forcePathStyle).toBe(true);
    expect(await options.client.config.region()).toBe('auto');
  });

  it('against another endpoint than AWS, checksums only where an operation requires them', async () => {
    const custom = s3Options(await storeFromOption('s3://b/p', {}, { s3Endpoint: 'http://127.0.0.1:9000' }));
    const byEnv = s3Options(await storeFromOption('s3://b/p', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }));
    const aws = s3Options(await storeFromOption('s3://b/p', {}));

    expect(await custom.client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await byEnv.client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await aws.client.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
  });

  it('refuses an endpoint that is no http(s) URL', async () => {
    await expect(storeFromOption('s3://b/p', {}, { s3Endpoint: 'minio:9000' })).rejects.toThrow(
      /--s3-endpoint "minio:9000" is not an http:\/\/ or https:\/\/ URL/,
    );
  });
});
