import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { LedgerLockedError, type StoreError } from '../core/errors.js';
import type { Clock, LedgerLock, LedgerStore, LockOwner } from '../core/ports.js';
import { describeHolder, heldBySameExecution, parseLockOwner } from './lock-owner.js';
import { storeFailure } from './store-failure.js';

export interface S3LedgerStoreOptions {
  /**
   * How old a lock must be before it is taken to belong to a restore that died. Default 2 h:
   * longer than a Lambda slice (15 min at most) plus the state machine's wait between slices.
   */
  staleAfterMs?: number;
  /** Told of a stale lock once it has been taken over. */
  onStaleLock?: (holder: LockOwner) => void;
  /** Judges a lock's age; default the system clock. */
  clock?: Clock;
  /**
   * What the object is, for messages: default a restore's ledger; a sliced backup keeps its state
   * here ({ job: 'backup', object: 'sliced backup state' }).
   */
  names?: { job: string; object: string };
}

interface FoundLock {
  etag: string;
  writtenAt: Date | undefined;
  owner: LockOwner | undefined;
}

const defaultStaleAfterMs = 2 * 60 * 60 * 1000;

/**
 * A restore ledger kept as one JSON object in S3, beside the archive it belongs to.
 *
 * `lock` keeps one restore per ledger with `<key>.lock`, created only if absent (`If-None-Match: *`)
 * and removed only while its ETag is still ours (`If-Match`). A lock older than `staleAfterMs`, past
 * its holder's `endsBy`, or held by an earlier slice of the same execution is taken over with
 * `If-Match` on the ETag that was judged stale, so two restores cannot both take it.
 */
export class S3LedgerStore implements LedgerStore {
  readonly description: string;
  readonly lockKey: string;
  private readonly staleAfterMs: number;
  private readonly clock: Clock;
  private readonly names: { job: string; object: string };

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly options: S3LedgerStoreOptions = {},
  ) {
    this.description = `s3://${bucket}/${key}`;
    this.lockKey = `${key}.lock`;
    this.staleAfterMs = options.staleAfterMs ?? defaultStaleAfterMs;
    this.clock = options.clock ?? { now: () => new Date() };
    this.names = options.names ?? { job: 'restore', object: 'restore ledger' };
  }

  async load(): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      return await answer.Body?.transformToString('utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storeFailure(`cannot read the ${this.names.object} ${this.description}`, this.description, error);
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
      throw storeFailure(`cannot save the ${this.names.object} ${this.description}`, this.description, error);
    }
  }

  async lock(owner: LockOwner): Promise<LedgerLock> {
    // A single PUT's ETag is the MD5 of its body: the token keeps two owners that print alike (one
    // pid in two Lambda sandboxes started in the same millisecond) from sharing an ETag.
    const body = JSON.stringify({ ...owner, token: randomBytes(8).toString('hex') });
    let found: FoundLock | undefined;
    // Each pass ends with the lock ours or a fresh look at whoever changed it since the last one.
    for (let pass = 0; pass < 3; pass += 1) {
      const created = await this.putLock(body, { IfNoneMatch: '*' });
      if (created) return this.heldLock(created);
      found = await this.readLock();
      if (!found) continue;
      if (!found.owner || !(heldBySameExecution(found.owner, owner) || this.isStale(found)))
        throw this.locked(found);
      const taken = await this.putLock(body, { IfMatch: found.etag });
      if (taken) {
        this.options.onStaleLock?.(found.owner);
        return this.heldLock(taken);
      }
    }
    throw this.locked(found);
  }

  /** Older than staleAfterMs, or past the time its holder said it would certainly be gone by. */
  private isStale(found: FoundLock): boolean {
    const now = this.clock.now().getTime();
    const endsBy = found.owner?.endsBy ? Date.parse(found.owner.endsBy) : Number.NaN;
    if (!Number.isNaN(endsBy) && now > endsBy) return true;
    return found.writtenAt !== undefined && now - found.writtenAt.getTime() > this.staleAfterMs;
  }

  private heldLock(etag: string): LedgerLock {
    return {
      release: async () => {
        try {
          await this.client.send(
            new DeleteObjectCommand({ Bucket: this.bucket, Key: this.lockKey, IfMatch: etag }),
          );
        } catch (error) {
          // Gone, or taken over as stale by another restore: either way no longer ours to remove.
          if (isMissing(error) || isConditionFailed(error)) return;
          throw this.lockFailure('release', error);
        }
      },
    };
  }

  /** The new lock's ETag, or undefined when the condition did not hold. */
  private async putLock(
    body: string,
    condition: { IfNoneMatch: '*' } | { IfMatch: string },
  ): Promise<string | undefined> {
    try {
      const answer = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.lockKey,
          Body: body,
          ContentType: 'application/json',
          ...condition,
        }),
      );
      if (!answer.ETag) throw new Error('S3 answered without an ETag');
      return answer.ETag;
    } catch (error) {
      // 404: the lock judged stale was removed before our If-Match put reached it.
      if (isConditionFailed(error) || isMissing(error)) return undefined;
      throw this.lockFailure('write', error);
    }
  }

  private async readLock(): Promise<FoundLock | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.lockKey }));
      const body = (await answer.Body?.transformToString('utf8')) ?? '';
      return { etag: answer.ETag ?? '', writtenAt: answer.LastModified, owner: parseLockOwner(body) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.lockFailure('read', error);
    }
  }

  private locked(found: FoundLock | undefined): LedgerLockedError {
    const owner = found?.owner;
    const { job, object } = this.names;
    const holder = owner ? describeHolder(owner) : `a ${job} whose lock cannot be read`;
    const hours = Math.round((this.staleAfterMs / 3_600_000) * 100) / 100;
    return new LedgerLockedError(
      `another ${job} (${holder}) is using the ${object} ${this.description}; wait for it, or ` +
        `if it is gone, delete s3://${this.bucket}/${this.lockKey} (a lock older than ${hours} h is ` +
        'taken over on its own)',
      { holder },
    );
  }

  private lockFailure(action: string, error: unknown): StoreError {
    const location = `s3://${this.bucket}/${this.lockKey}`;
    return storeFailure(`cannot ${action} the ${this.names.object}'s lock ${location}`, location, error);
  }
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NotFound';
}

/** 412 PreconditionFailed; 409 ConditionalRequestConflict when another conditional write raced ours. */
function isConditionFailed(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 412 || status === 409;
}
