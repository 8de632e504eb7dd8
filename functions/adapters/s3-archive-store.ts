import { PassThrough, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StoreError, UsageError } from '../core/errors.js';
import { checkedInstanceName } from '../core/instance/name.js';
import type {
  ArchiveAnnexStore,
  ArchiveBlob,
  ArchiveRef,
  ObjectLockHold,
  PrunableStore,
  PutOptions,
  StoredLedger,
} from '../core/ports.js';
import { ARCHIVE_EXTENSION, archiveFileName, encryptedIf, ledgersAmong } from './folder-store.js';
import { storeFailure } from './store-failure.js';

export interface S3ArchiveStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket root. */
  prefix: string;
  /** SSE-KMS key; without it the bucket's default encryption applies. */
  kmsKeyId?: string;
  /** Multipart part size. Default 8 MiB: memory held is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
}

export interface S3Location {
  bucket: string;
  key: string;
  versionId?: string;
}

/** Parses `s3://bucket/key[?versionId=…]`. */
export function parseS3Url(value: string): S3Location {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${JSON.stringify(value)} is not an s3://bucket/key URL`);
  }
  if (url.protocol !== 's3:' || !url.hostname)
    throw new UsageError(`${JSON.stringify(value)} is not an s3://bucket/key URL`);
  const versionId = url.searchParams.get('versionId') ?? undefined;
  return {
    bucket: url.hostname,
    key: decodeURIComponent(url.pathname.replace(/^\/+/, '')),
    ...(versionId ? { versionId } : {}),
  };
}

export function formatS3Url(location: S3Location): string {
  const base = `s3://${location.bucket}/${location.key}`;
  return location.versionId ? `${base}?versionId=${encodeURIComponent(location.versionId)}` : base;
}

const KEY_PATTERN =
  /(?:^|\/)([^/]+)\/\d{4}\/\d{2}\/\d{2}\/(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.zip(?:\.age)?$/;

function parseKey(key: string): { instance: string; createdAt: Date } | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  return { instance: m[1] ?? '', createdAt: new Date(`${m[2]}T${m[3]}:${m[4]}:${m[5]}.${m[6]}Z`) };
}

/**
 * Archives in a (versioned) S3 bucket: `<prefix>/<instance>/<yyyy>/<mm>/<dd>/<UTC timestamp>.zip`.
 * The archive streams up as a multipart upload — never whole in memory — and an upload that fails
 * is aborted, so neither an object nor orphan parts remain. Reads use ranged GETs.
 */
export class S3ArchiveStore implements PrunableStore, ArchiveAnnexStore {
  readonly description: string;

  constructor(readonly options: S3ArchiveStoreOptions) {
    this.description = `s3://${options.bucket}/${options.prefix}`;
  }

  keyFor(instance: string, createdAt: Date, options: PutOptions = {}): string {
    const iso = createdAt.toISOString();
    const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
    return [this.options.prefix, checkedInstanceName(instance), day, archiveFileName(createdAt, options)]
      .filter(Boolean)
      .join('/');
  }

  async put(
    instance: string,
    createdAt: Date,
    body: Readable,
    metadata: Record<string, string>,
    options: PutOptions = {},
  ): Promise<ArchiveRef> {
    const key = this.keyFor(instance, createdAt, options);
    const location = formatS3Url({ bucket: this.options.bucket, key });
    const upload = new Upload({
      client: this.options.client,
      params: {
        Bucket: this.options.bucket,
        Key: key,
        Body: body,
        ContentType: options.encrypted ? 'application/octet-stream' : 'application/zip',
        Metadata: metadata,
        ...(this.options.kmsKeyId
          ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId }
          : {}),
      },
      partSize: this.options.partSize ?? 8 * 1024 * 1024,
      queueSize: this.options.queueSize ?? 2,
      leavePartsOnError: false,
    });
    // A body that fails must fail the upload (lib-storage then aborts the multipart upload).
    const bodyFailed = new Promise<never>((_, reject) => body.once('error', reject));
    const finished = upload.done();
    try {
      const result = await Promise.race([finished, bodyFailed]);
      const head = await this.options.client.send(
        new HeadObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ...(result.VersionId ? { VersionId: result.VersionId } : {}),
        }),
      );
      return {
        location: formatS3Url({
          bucket: this.options.bucket,
          key,
          ...(result.VersionId ? { versionId: result.VersionId } : {}),
        }),
        instance,
        createdAt,
        size: head.ContentLength ?? 0,
        ...(result.VersionId ? { versionId: result.VersionId } : {}),
        ...encryptedIf(key),
      };
    } catch (error) {
      // lib-storage reads the failed body too, and aborts the multipart upload before done() settles.
      // Its abort() would only signal and let done() reject at once, leaving that abort in flight
      // after we return: parts could outlive the failure we report.
      await finished.catch(() => undefined);
      throw storeFailure(`could not upload the archive to ${location}`, location, error);
    }
  }

  async *list(options: { instance?: string; includeVersions?: boolean } = {}): AsyncIterable<ArchiveRef> {
    const instance = options.instance ? checkedInstanceName(options.instance) : undefined;
    const prefix = [this.options.prefix, instance].filter(Boolean).join('/');
    const under = prefix ? `${prefix}/` : undefined;
    const found: ArchiveRef[] = [];
    try {
      for await (const archive of options.includeVersions ? this.versions(under) : this.objects(under))
        found.push(archive);
    } catch (error) {
      throw this.failure('list', this.description, error);
    }
    found.sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.location.localeCompare(a.location),
    );
    yield* found;
  }

  /** The archives among the current objects under the prefix. */
  private async *objects(prefix: string | undefined): AsyncGenerator<ArchiveRef> {
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const archive = this.archiveAt(object.Key, object.Size);
        if (archive) yield archive;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Every version of the archives under the prefix (version id "null": written before versioning). */
  private async *versions(prefix: string | undefined): AsyncGenerator<ArchiveRef> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListObjectVersionsCommand({
          Bucket: this.options.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      for (const version of page.Versions ?? []) {
        const versionId = version.VersionId && version.VersionId !== 'null' ? version.VersionId : undefined;
        const archive = this.archiveAt(version.Key, version.Size, versionId);
        if (archive) yield archive;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
  }

  /** The archive an object's key names (undefined when it names none), at a version if given. */
  private archiveAt(
    key: string | undefined,
    size: number | undefined,
    versionId?: string,
  ): ArchiveRef | undefined {
    const parsed = key ? parseKey(key) : undefined;
    if (!parsed || !key) return undefined;
    return {
      location: formatS3Url({ bucket: this.options.bucket, key, ...(versionId ? { versionId } : {}) }),
      ...parsed,
      size: size ?? 0,
      ...(versionId ? { versionId } : {}),
      ...encryptedIf(key),
    };
  }

  async open(location: string): Promise<ArchiveBlob> {
    const { bucket, key, versionId } = parseS3Url(location);
    const client = this.options.client;
    let size: number;
    try {
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
      );
      size = head.ContentLength ?? 0;
    } catch (error) {
      throw notOpened(location, error);
    }
    return {
      size,
      readRange(start, end) {
        return rangeStream(client, { bucket, key, ...(versionId ? { versionId } : {}) }, start, end);
      },
      close: async () => {},
    };
  }
  /**
   * Ledgers the restore function keeps beside an archive: `<archive key>.restore-<target>.ledger.json`
   * and its `.lock`, found in one listing of the instance's keys. (A CLI restore keeps its ledger on
   * the machine that runs it, out of sight here.)
   */
  async restoreLedgers(instance: string): Promise<StoredLedger[]> {
    const { bucket, prefix } = this.options;
    const keys: string[] = [];
    try {
      let token: string | undefined;
      do {
        const page = await this.options.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${[prefix, checkedInstanceName(instance)].filter(Boolean).join('/')}/`,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure('look for restore ledgers in', this.description, error);
    }
    return ledgersAmong(keys).map(({ ledger, archive }) => ({
      location: formatS3Url({ bucket, key: ledger }),
      archive: formatS3Url({ bucket, key: archive }),
      locked: keys.includes(`${ledger}.lock`),
      read: () => this.readText(bucket, ledger),
    }));
  }

  /**
   * Retention and legal hold as HeadObject tells them. S3 includes them only for a caller allowed
   * s3:GetObjectRetention and s3:GetObjectLegalHold; without those a lock looks like none, and the
   * prune's delete marker hides an archive whose bytes the lock keeps anyway.
   */
  async objectLock(archive: ArchiveRef): Promise<ObjectLockHold | undefined> {
    const { bucket, key, versionId } = parseS3Url(archive.location);
    try {
      const head = await this.options.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
      );
      const legalHold = head.ObjectLockLegalHoldStatus === 'ON';
      if (!legalHold && !head.ObjectLockRetainUntilDate) return undefined;
      return {
        legalHold,
        ...(head.ObjectLockRetainUntilDate ? { retainUntil: head.ObjectLockRetainUntilDate } : {}),
        ...(head.ObjectLockMode ? { mode: head.ObjectLockMode } : {}),
      };
    } catch (error) {
      throw this.failure('read the Object Lock of', archive.location, error);
    }
  }

  /**
   * Deletes the archive's key without a version id: on a versioned bucket S3 adds a delete marker
   * and the archive's bytes stay as a noncurrent version (restorable by `?versionId=`) until the
   * bucket's lifecycle expires noncurrent versions. Nothing is deleted for good here.
   */
  async remove(archive: ArchiveRef): Promise<void> {
    const { bucket, key } = parseS3Url(archive.location);
    try {
      await this.options.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      throw this.failure('delete', archive.location, error);
    }
  }

  private async readText(bucket: string, key: string): Promise<string | undefined> {
    try {
      const answer = await this.options.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await answer.Body?.transformToString('utf8');
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw this.failure('read the restore ledger', formatS3Url({ bucket, key }), error);
    }
  }

  private failure(action: string, location: string, error: unknown): StoreError {
    return storeFailure(`cannot ${action} ${location}`, location, error);
  }

  /** A drill report as an object beside the archive's (same bucket, the archive key's `.zip` or `.zip.age` replaced). */
  async writeBeside(
    archiveLocation: string,
    suffix: string,
    body: string,
    contentType: string,
  ): Promise<string> {
    const { bucket, key } = parseS3Url(archiveLocation);
    const at = { bucket, key: `${key.replace(ARCHIVE_EXTENSION, '')}${suffix}` };
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: at.bucket,
          Key: at.key,
          Body: body,
          ContentType: `${contentType}; charset=utf-8`,
          ...(this.options.kmsKeyId
            ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId }
            : {}),
        }),
      );
      return formatS3Url(at);
    } catch (error) {
      throw storeFailure(`could not write ${formatS3Url(at)}`, formatS3Url(at), error);
    }
  }
}

/** An archive that cannot be opened: none at that key (or version), or S3's reason. */
function notOpened(location: string, error: unknown): StoreError {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const why = status === 404 ? 'no such object (or version)' : (error as Error).message;
  return new StoreError(`cannot open ${location}: ${why}`, { location }, { cause: error });
}

/** A lazily started ranged GET, as a Readable, for the zip reader. */
function rangeStream(client: S3Client, at: S3Location, start: number, end: number): Readable {
  const out = new PassThrough();
  if (end <= start) {
    out.end();
    return out;
  }
  client
    .send(
      new GetObjectCommand({
        Bucket: at.bucket,
        Key: at.key,
        VersionId: at.versionId,
        Range: `bytes=${start}-${end - 1}`,
      }),
    )
    .then((response) => {
      const body = response.Body as Readable | undefined;
      if (!body) throw new Error('empty body');
      body.on('error', (error) => out.destroy(error));
      body.pipe(out);
    })
    .catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** The store named by `s3://bucket/prefix` (or an archive URL inside it), with the default AWS credential chain. */
export function s3StoreFromUrl(value: string, client: S3Client = new S3Client({})): S3ArchiveStore {
  const { bucket, key } = parseS3Url(value);
  const prefix = ARCHIVE_EXTENSION.test(key) ? '' : key.replace(/\/+$/, '');
  return new S3ArchiveStore({ client, bucket, prefix });
}
