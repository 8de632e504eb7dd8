import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ObjectLockConfig } from './config/index.js';

/**
 * What no role of n8n-ark may do to the archive bucket, whatever its own policy grants: erase a
 * version, shorten or lift a lock, or change the rules that keep versions. lib/rules/ checks it.
 */
export const ERASING_ACTIONS = [
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:PutLifecycleConfiguration',
] as const;

export interface ArchiveBucketProps {
  /** Days a noncurrent (overwritten or expired) archive version is kept before it is deleted. */
  retentionDays: number;
  /** Days an archive stays current before it expires (becomes noncurrent). */
  archiveDays: number;
  /**
   * Key prefixes whose current archives expire after `archiveDays`; default the whole bucket.
   * Instances that a scheduled prune keeps are left out: the prune alone decides what of theirs goes.
   */
  expireCurrentUnder?: string[];
  objectLock?: ObjectLockConfig;
  /** A fixed bucket name and key alias (the replica, whose name the source must know); default generated. */
  names?: { bucket: string; keyAlias: string };
}

/**
 * The versioned bucket archives live in. Defaults it applies: a customer-managed KMS key with
 * rotation; versioning; all public access blocked; TLS-only bucket policy; server access logs to
 * a separate bucket; archives expire after `archiveDays` (each nightly run writes a new key), or only
 * those under `expireCurrentUnder` (then delete markers left with no version behind are removed too);
 * noncurrent versions move to Glacier Instant Retrieval after 30 days and are deleted after
 * `retentionDays`; incomplete multipart uploads are aborted after 1 day; retained on stack
 * deletion; optional Object Lock default retention; `denyErasing` roles in the bucket policy.
 */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    // Log delivery is granted by bucket policy, not the legacy ACL (cfn-lint W3045), whatever flags
    // the app around this construct sets.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.key = new kms.Key(this, 'Key', {
      description: 'n8n-ark archives',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.names ? { alias: props.names.keyAlias } : {}),
    });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(props.names ? { bucketName: props.names.bucket } : {}),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'archives/',
      lifecycleRules: lifecycleRules(props),
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.objectLock ? objectLockProps(props.objectLock) : {}),
    });
  }

  /**
   * A bucket-policy `Deny` of ERASING_ACTIONS to these roles: even a grant added to one of them
   * later (or a stolen role) cannot erase a version or loosen what keeps them.
   */
  denyErasing(roles: iam.IRole[]): void {
    if (roles.length === 0) return;
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'N8nArkRolesCannotErase',
        effect: iam.Effect.DENY,
        principals: roles.map((role) => new iam.ArnPrincipal(role.roleArn)),
        actions: [...ERASING_ACTIONS],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
  }
}

function objectLockProps(lock: ObjectLockConfig): Partial<s3.BucketProps> {
  const days = Duration.days(lock.days);
  return {
    objectLockEnabled: true,
    objectLockDefaultRetention:
      lock.mode === 'COMPLIANCE'
        ? s3.ObjectLockRetention.compliance(days)
        : s3.ObjectLockRetention.governance(days),
  };
}

/**
 * Noncurrent versions (overwritten, expired, or hidden by a prune's delete marker) go to Glacier
 * Instant Retrieval after 30 days and are deleted after `retentionDays`, everywhere. Current
 * archives expire after `archiveDays`, in the whole bucket or only under `expireCurrentUnder`.
 */
function lifecycleRules(props: ArchiveBucketProps): s3.LifecycleRule[] {
  const noncurrent = {
    noncurrentVersionTransitions: [
      { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) },
    ],
    noncurrentVersionExpiration: Duration.days(Math.max(props.retentionDays, 31)),
    abortIncompleteMultipartUploadAfter: Duration.days(1),
  };
  const expiration = Duration.days(props.archiveDays);
  if (!props.expireCurrentUnder) return [{ ...noncurrent, expiration }];
  return [
    { id: 'NoncurrentVersions', ...noncurrent, expiredObjectDeleteMarker: true },
    ...props.expireCurrentUnder.map((prefix) => ({
      id: `Expire-${prefix.replace(/[^A-Za-z0-9-]/g, '-')}`,
      prefix,
      expiration,
    })),
  ];
}
