import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StoreError } from '../core/errors.js';
import type { LedgerStore } from '../core/ports.js';

/** A restore ledger kept as one JSON object in S3, beside the archive it belongs to. */
export class S3LedgerStore implements LedgerStore {
  readonly description: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    readonly key: string,
  ) {
    this.description = `s3://${bucket}/${key}`;
  }

  async load(): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      return await answer.Body?.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new StoreError(
        `cannot read the restore ledger ${this.description}: ${(error as Error).message}`,
        { location: this.description },
        { cause: error },
      );
    }
  }

  async save(contents: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: contents,
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new StoreError(
        `cannot save the restore ledger ${this.description}: ${(error as Error).message}`,
        { location: this.description },
        { cause: error },
      );
    }
  }
}
