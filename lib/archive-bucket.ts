import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

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
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
}

/**
 * The versioned bucket archives live in. Defaults it applies: a customer-managed KMS key with
 * rotation; versioning; all public access blocked; TLS-only bucket policy; server access logs to
 * a separate bucket; archives expire after `archiveDays` (each nightly run writes a new key), or only
 * those under `expireCurrentUnder` (then delete markers left with no version behind are removed too);
 * noncurrent versions move to Glacier Instant Retrieval after 30 days and are deleted after
 * `retentionDays`; incomplete multipart uploads are aborted after 1 day; retained on stack
 * deletion; optional Object Lock default retention.
 */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'n8n-ark archives',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // Log delivery is granted by bucket policy, not the legacy ACL (cfn-lint W3045).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
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
      ...(props.objectLock
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              props.objectLock.mode === 'COMPLIANCE'
                ? s3.ObjectLockRetention.compliance(Duration.days(props.objectLock.days))
                : s3.ObjectLockRetention.governance(Duration.days(props.objectLock.days)),
          }
        : {}),
    });
  }
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
