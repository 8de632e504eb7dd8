import { createHash } from 'node:crypto';
import { Aws, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ArchivesRef } from './archive-access.js';
import { ArchiveBucket } from './archive-bucket.js';
import type { ReplicationConfig } from './config/index.js';
import { logicalIdOf } from './logical-id.js';

export interface ArchiveReplicaProps extends ArchivesRef {
  config: ReplicationConfig;
  retentionDays: number;
  archiveDays: number;
}

/**
 * Cross-region replication of the archive bucket (`replicateTo`): a stack of its own in that region
 * (`<stack name>-replica`, deployed first) holds a bucket like the archive bucket — versioned, its own
 * KMS key, Object Lock with the configured default retention (GOVERNANCE 30 days unless given) —
 * and the archive bucket replicates everything under the prefix into it, delete markers not (a prune
 * hides an archive here, not there). The replica's names are derived, not exported, so the two
 * stacks share no reference: `n8n-ark-replica-<hash>-<account>` and `alias/n8n-ark-replica-<hash>`.
 * The replication role reads versions for replication, may decrypt with the archive key through S3,
 * and may encrypt with the replica key (found by its alias) through S3 in the replica's region.
 */
export class ArchiveReplica extends Construct {
  readonly role: iam.Role;
  readonly replicaStack: Stack;

  constructor(scope: Construct, id: string, props: ArchiveReplicaProps) {
    super(scope, id);
    const source = Stack.of(this);
    const hash = createHash('sha256')
      .update(`${source.stackName}/${this.node.path}`)
      .digest('hex')
      .slice(0, 10);
    const names = {
      bucket: `n8n-ark-replica-${hash}-${Aws.ACCOUNT_ID}`,
      keyAlias: `alias/n8n-ark-replica-${hash}`,
    };
    this.replicaStack = new Stack(Stage.of(this) ?? source, `${source.node.id}Replica${hash}`, {
      stackName: `${source.stackName}-replica`,
      description: `n8n-ark: the replica of ${source.stackName}'s archive bucket`,
      env: {
        region: props.config.region,
        ...(Token.isUnresolved(source.account) ? {} : { account: source.account }),
      },
    });
    new ArchiveBucket(this.replicaStack, 'Archives', {
      retentionDays: props.retentionDays,
      archiveDays: props.archiveDays,
      objectLock: props.config.objectLock,
      names,
    });
    source.addDependency(
      this.replicaStack,
      'the replica bucket must exist before replication to it is set up',
    );
    const region = props.config.region;
    const replica = {
      bucketArn: `arn:${Aws.PARTITION}:s3:::${names.bucket}`,
      keyAliasArn: `arn:${Aws.PARTITION}:kms:${region}:${Aws.ACCOUNT_ID}:${names.keyAlias}`,
      keys: `arn:${Aws.PARTITION}:kms:${region}:${Aws.ACCOUNT_ID}:key/*`,
    };
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('s3.amazonaws.com') });
    this.grant(props, replica, names.keyAlias);
    this.configure(props, replica);
  }

  private grant(
    props: ArchiveReplicaProps,
    replica: { bucketArn: string; keys: string },
    alias: string,
  ): void {
    const { bucket, key } = props.archives;
    const statements = [
      { actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [bucket.bucketArn] },
      {
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        resources: [bucket.arnForObjects(`${props.prefix}/*`)],
      },
      { actions: ['s3:ReplicateObject', 's3:ReplicateTags'], resources: [`${replica.bucketArn}/*`] },
      {
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      },
      {
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [replica.keys],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${props.config.region}.amazonaws.com` },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] },
        },
      },
    ];
    for (const statement of statements) this.role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/${props.prefix}/*]`,
        reason: `S3 replication reads every archive version below ${props.prefix}/ to copy it, and nothing else.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${alias.replace('alias/', '')}-<AWS::AccountId>/*]`,
        reason:
          'S3 replication writes replicas into the replica bucket (its name is derived, so both stacks know it without a reference).',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${props.config.region}:<AWS::AccountId>:key/*]`,
        reason: `The replica key is known by its alias only (kms:ResourceAliases = ${alias}), and used through S3 in ${props.config.region} only.`,
      },
    );
  }

  private configure(props: ArchiveReplicaProps, replica: { bucketArn: string; keyAliasArn: string }): void {
    const cfn = props.archives.bucket.node.defaultChild as s3.CfnBucket;
    cfn.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: 'ArchivesToReplica',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: `${props.prefix}/` },
          deleteMarkerReplication: { status: 'Disabled' },
          destination: {
            bucket: replica.bucketArn,
            encryptionConfiguration: { replicaKmsKeyId: replica.keyAliasArn },
          },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
        },
      ],
    };
  }
}
