/**
 * An archive's S3 multipart upload written by several Lambda invocations in turn (a sliced
 * backup). Each takes the upload's state the one before saved: the parts uploaded (number, ETag,
 * size) and the bytes after them, which were too few for a part (S3 wants 5 MiB in every part but
 * the last) and were kept in an object of their own, the tail. An invocation reads the tail back,
 * goes on appending the writer's bytes, uploads a part whenever it holds `partSize`, and at a
 * checkpoint uploads what it holds as a part when that is 5 MiB or more, else as the new tail.
 * Parts an invocation uploaded after its last checkpoint and then died are uploaded again under
 * the same numbers (S3 keeps the last upload of a number), and only the parts the state lists are
 * completed. A backup that is given up aborts the upload (the bucket's lifecycle rule aborts any
 * left behind after a day as well).
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { ArchiveRef, ArchiveUpload, ResumableArchiveStore } from '../core/ports.js';
import { formatS3Url, S3ArchiveStore } from './s3-archive-store.js';
import { storeFailure } from './store-failure.js';

/** S3's smallest part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** What an upload's invocations hand on to the next (JSON). */
export interface SlicedUploadState {
  bucket: string;
  key: string;
  uploadId: string;
  instance: string;
  createdAt: string;
  parts: { number: number; etag: string; size: number }[];
  /** Bytes of the archive in the parts. */
  stored: number;
  /**
   * The bytes after the parts, kept as an object of their own until they make a part; the version
   * written at the checkpoint (a slice that died after writing a later one must not read that).
   */
  tail?: { key: string; size: number; versionId?: string };
}

export interface SlicedUploadOptions {
  client: S3Client;
  /** SSE-KMS key; without it the bucket's default encryption applies. */
  kmsKeyId?: string;
  /** A part is uploaded once this many bytes are held (default 8 MiB). */
  partSize?: number;
}

const encryption = (kmsKeyId: string | undefined) =>
  kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: kmsKeyId } : {};

/**
 * The archive store of the backup Lambda: an S3ArchiveStore whose uploads a sliced backup writes
 * over several invocations, the bytes short of a part kept at `<prefix>/<instance>/backup-in-progress.tail`.
 */
export class S3SlicedArchiveStore extends S3ArchiveStore implements ResumableArchiveStore {
  startUpload(instance: string, createdAt: Date, metadata: Record<string, string>): Promise<unknown> {
    const at = {
      bucket: this.options.bucket,
      key: this.keyFor(instance, createdAt),
      tailKey: `${this.instancePrefix(instance)}backup-in-progress.tail`,
      instance,
      createdAt,
    };
    return startSlicedUpload(this.slicedOptions(), at, metadata);
  }

  continueUpload(state: unknown, body: Readable): ArchiveUpload {
    return continueSlicedUpload(this.slicedOptions(), state as SlicedUploadState, body);
  }

  abortUpload(state: unknown): Promise<void> {
    return abortSlicedUpload(this.slicedOptions(), state as SlicedUploadState);
  }

  /** Where an instance's objects are: `<prefix>/<instance>/`. */
  instancePrefix(instance: string): string {
    return `${[this.options.prefix, instance].filter(Boolean).join('/')}/`;
  }

  private slicedOptions(): SlicedUploadOptions {
    return {
      client: this.options.client,
      ...(this.options.kmsKeyId ? { kmsKeyId: this.options.kmsKeyId } : {}),
      ...(this.options.partSize ? { partSize: this.options.partSize } : {}),
    };
  }
}

export async function startSlicedUpload(
  options: SlicedUploadOptions,
  at: { bucket: string; key: string; tailKey: string; instance: string; createdAt: Date },
  metadata: Record<string, string>,
): Promise<SlicedUploadState> {
  const location = formatS3Url(at);
  try {
    const created = await options.client.send(
      new CreateMultipartUploadCommand({
        Bucket: at.bucket,
        Key: at.key,
        ContentType: 'application/zip',
        Metadata: metadata,
        ...encryption(options.kmsKeyId),
      }),
    );
    if (!created.UploadId) throw new Error('S3 answered without an upload id');
    return {
      bucket: at.bucket,
      key: at.key,
      uploadId: created.UploadId,
      instance: at.instance,
      createdAt: at.createdAt.toISOString(),
      parts: [],
      stored: 0,
      tail: { key: at.tailKey, size: 0 },
    };
  } catch (error) {
    throw storeFailure(`could not start the upload of ${location}`, location, error);
  }
}

export async function abortSlicedUpload(
  options: SlicedUploadOptions,
  state: SlicedUploadState,
): Promise<void> {
  try {
    await options.client.send(
      new AbortMultipartUploadCommand({ Bucket: state.bucket, Key: state.key, UploadId: state.uploadId }),
    );
  } catch (error) {
    // Aborted already (a retry of the abandoning call), or completed and gone: nothing is left.
    if ((error as { name?: string }).name === 'NoSuchUpload') return;
    throw storeFailure(`could not abort the upload of ${formatS3Url(state)}`, formatS3Url(state), error);
  }
}

/** Takes `body` (the writer's output from the byte `state.stored + tail` on) into the upload. */
export function continueSlicedUpload(
  options: SlicedUploadOptions,
  state: SlicedUploadState,
  body: Readable,
): ArchiveUpload {
  return new SlicedUpload(options, structuredClone(state), body);
}

class SlicedUpload implements ArchiveUpload {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes of the archive taken so far (parts, tail, and what is held). */
  private received: number;
  private readonly partSize: number;
  private readonly consumed: Promise<void>;
  private inFlight: Promise<void> = Promise.resolve();
  /** Parts asked for and not yet uploaded. */
  private queued = 0;
  private waiters: { bytes: number; resolve: () => void }[] = [];
  private stopped = false;
  private readonly location: string;

  constructor(
    private readonly options: SlicedUploadOptions,
    private readonly state: SlicedUploadState,
    private readonly body: Readable,
  ) {
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    this.received = state.stored + (state.tail?.size ?? 0);
    this.location = formatS3Url(state);
    this.consumed = this.consume();
    this.consumed.catch(() => {});
  }

  async checkpoint(bytes: number): Promise<SlicedUploadState> {
    await this.until(bytes);
    if (this.heldBytes >= MIN_PART_BYTES) this.queuePart();
    await this.inFlight;
    await this.putTail();
    return structuredClone(this.state);
  }

  async complete(): Promise<ArchiveRef> {
    await this.consumed;
    if (this.heldBytes > 0 || (this.state.parts.length === 0 && this.queued === 0)) this.queuePart();
    await this.inFlight;
    const { bucket, key, uploadId } = this.state;
    try {
      const done = await this.options.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: this.state.parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
        }),
      );
      const versionId = done.VersionId;
      const head = await this.options.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
      return {
        location: formatS3Url({ bucket, key, ...(versionId ? { versionId } : {}) }),
        instance: this.state.instance,
        createdAt: new Date(this.state.createdAt),
        size: head.ContentLength ?? 0,
        ...(versionId ? { versionId } : {}),
      };
    } catch (error) {
      throw storeFailure(`could not complete the upload of ${this.location}`, this.location, error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.body.destroy();
    await this.consumed.catch(() => {});
    await this.inFlight.catch(() => {});
  }

  /** Reads the tail back first, then the body, uploading a part whenever `partSize` is held. */
  private async consume(): Promise<void> {
    const tail = this.state.tail;
    if (tail && tail.size > 0) this.hold(await this.readTail(tail));
    try {
      for await (const chunk of this.body as AsyncIterable<Buffer>) {
        this.hold(chunk);
        this.received += chunk.length;
        this.wake();
        if (this.heldBytes >= this.partSize) {
          this.queuePart();
          // One part uploading while the next fills: wait for it before taking more.
          await this.inFlight;
        }
      }
    } catch (error) {
      if (!this.stopped) throw error;
    }
  }

  private hold(chunk: Buffer): void {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
  }

  private until(bytes: number): Promise<void> {
    if (this.received >= bytes) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ bytes, resolve });
      this.consumed.then(
        () => reject(new Error(`the archive's bytes ended at ${this.received}, before ${bytes}`)),
        reject,
      );
    });
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => this.received >= w.bytes);
    this.waiters = this.waiters.filter((w) => this.received < w.bytes);
    for (const waiter of ready) waiter.resolve();
  }

  /**
   * Everything held becomes the next part, its number and bytes taken now; parts are uploaded one
   * after another, in order, whoever asks (the body's reader, a checkpoint, the completion).
   */
  private queuePart(): void {
    const body = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    this.queued += 1;
    const number = this.state.parts.length + this.queued;
    const previous = this.inFlight;
    this.inFlight = previous.then(() => this.uploadPart(number, body));
    this.inFlight.catch(() => {});
  }

  private async uploadPart(number: number, body: Buffer): Promise<void> {
    try {
      const answer = await this.options.client.send(
        new UploadPartCommand({
          Bucket: this.state.bucket,
          Key: this.state.key,
          UploadId: this.state.uploadId,
          PartNumber: number,
          Body: body,
        }),
      );
      if (!answer.ETag) throw new Error('S3 answered without an ETag');
      this.state.parts.push({ number, etag: answer.ETag, size: body.length });
      this.state.stored += body.length;
      this.queued -= 1;
    } catch (error) {
      throw storeFailure(`could not upload part ${number} of ${this.location}`, this.location, error);
    }
  }

  /** Keeps what is held (fewer bytes than a part) in the tail object, for the next invocation. */
  private async putTail(): Promise<void> {
    const tail = this.state.tail;
    if (!tail) throw new Error('the upload has no tail key');
    const body = Buffer.concat(this.held);
    this.held = [body];
    try {
      delete tail.versionId;
      if (body.length > 0) {
        const put = await this.options.client.send(
          new PutObjectCommand({
            Bucket: this.state.bucket,
            Key: tail.key,
            Body: body,
            ContentType: 'application/octet-stream',
            ...encryption(this.options.kmsKeyId),
          }),
        );
        if (put.VersionId && put.VersionId !== 'null') tail.versionId = put.VersionId;
      }
      tail.size = body.length;
    } catch (error) {
      const where = formatS3Url({ bucket: this.state.bucket, key: tail.key });
      throw storeFailure(`could not keep the archive's last bytes in ${where}`, where, error);
    }
  }

  private async readTail(tail: { key: string; size: number; versionId?: string }): Promise<Buffer> {
    const where = formatS3Url({ bucket: this.state.bucket, key: tail.key });
    try {
      const answer = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.state.bucket, Key: tail.key, VersionId: tail.versionId }),
      );
      const bytes = Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
      // Rewritten at each checkpoint: a bucket without versions can only be checked by its size.
      if (bytes.length !== tail.size)
        throw new Error(`it holds ${bytes.length} bytes, the saved state says ${tail.size}`);
      return bytes;
    } catch (error) {
      throw storeFailure(`could not read the archive's last bytes from ${where}`, where, error);
    }
  }
}
