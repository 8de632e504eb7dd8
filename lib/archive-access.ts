import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ArchiveBucket } from './archive-bucket.js';
import type { ArkFunction } from './ark-function.js';
import { logicalIdOf } from './logical-id.js';

/** What each function does with the archive bucket, by key pattern below the archives prefix. */
interface Access {
  /** Keys it creates or replaces (PutObject; multipart uploads included). */
  writes: string[];
  /** Keys it deletes (a delete marker on the versioned bucket): only the locks it takes. */
  deletes: string[];
  /** Keys whose failed multipart uploads it aborts. */
  aborts: string[];
  why: string;
}

const LEDGER = '*.ledger.json';
const LOCK = '*.ledger.json.lock';
/** A sliced backup's state between slices, its lock and the archive's bytes short of a part (per instance). */
const BACKUP_PROGRESS = '*/backup-in-progress.*';
const BACKUP_LOCK = '*/backup-in-progress.json.lock';

/**
 * The table the grants are made from. Everything under the prefix is readable (archives, their
 * versions, ledgers) and listable by prefix; nothing else is granted, and no role here may delete
 * an archive (the prune, lib/retention.ts, is the one that hides archives, by delete markers).
 */
export const ARCHIVE_ACCESS = {
  backup: {
    writes: ['*.zip', BACKUP_PROGRESS],
    deletes: [BACKUP_LOCK],
    aborts: ['*.zip'],
    why: 'writes each archive under its dated key (a multipart upload over its slices, aborted when the backup is given up), keeps its progress between slices and releases its lock',
  },
  restore: {
    writes: [LEDGER, LOCK],
    deletes: [LOCK],
    aborts: [],
    why: 'keeps the restore ledger beside the archive and releases its lock',
  },
  verify: { writes: [], deletes: [], aborts: [], why: 'reads archives and their versions' },
  drill: {
    writes: [LEDGER, LOCK, '*.drill-*'],
    deletes: [LOCK],
    aborts: [],
    why: 'keeps its ledger and writes its report beside the archive',
  },
} as const satisfies Record<string, Access>;

export type ArchiveAccessRole = keyof typeof ARCHIVE_ACCESS;

export interface ArchivesRef {
  archives: ArchiveBucket;
  /** Key prefix the archives live under. */
  prefix: string;
}

function statements(access: Access, { archives, prefix }: ArchivesRef): iam.PolicyStatement[] {
  const { bucket } = archives;
  const under = (patterns: readonly string[]) => patterns.map((p) => bucket.arnForObjects(`${prefix}/${p}`));
  const write = [
    ...(access.writes.length > 0 ? [{ actions: ['s3:PutObject'], resources: under(access.writes) }] : []),
    ...(access.aborts.length > 0
      ? [{ actions: ['s3:AbortMultipartUpload'], resources: under(access.aborts) }]
      : []),
    ...(access.deletes.length > 0
      ? [{ actions: ['s3:DeleteObject'], resources: under(access.deletes) }]
      : []),
  ];
  return [
    new iam.PolicyStatement({
      actions: ['s3:ListBucket', 's3:ListBucketVersions'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    }),
    new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: under(['*']) }),
    ...write.map((s) => new iam.PolicyStatement(s)),
  ];
}

/**
 * Grants a function exactly its row of ARCHIVE_ACCESS, the archive key's data-key actions (decrypt
 * to read; generate a data key to write), and acknowledges each key pattern for cdk-nag on that
 * function's role alone, with what the function does there.
 */
export function grantArchiveAccess(fn: ArkFunction, role: ArchiveAccessRole, ref: ArchivesRef): void {
  const access: Access = ARCHIVE_ACCESS[role];
  for (const statement of statements(access, ref)) fn.role.addToPrincipalPolicy(statement);
  const keyActions = access.writes.length > 0 ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'];
  ref.archives.key.grant(fn.role, ...keyActions);
  const bucketId = logicalIdOf(ref.archives.bucket);
  const patterns = [...new Set(['*', ...access.writes, ...access.deletes, ...access.aborts])];
  Validations.of(fn.role).acknowledge(
    ...patterns.map((pattern) => ({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${ref.prefix}/${pattern}]`,
      reason: `Archives are dated keys below ${ref.prefix}/; this ${role} function ${access.why}, and ${pattern === '*' ? 'reads' : `touches ${pattern}`} there only.`,
    })),
  );
}
