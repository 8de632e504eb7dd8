import { Duration, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** Whose dead letters it takes, for the cdk-nag acknowledgement ("the e-mail subscription"). */
  of: string;
  /** The cdk-nag rules that cannot see it is a dead-letter queue (a DLQ of a DLQ adds nothing). */
  unseenBy: readonly ('AwsSolutions-SQS3' | 'Serverless-SQSRedrivePolicy')[];
  /** Default the AWS-managed `aws/sqs` key; `sqs-managed` where the sender may not use that key. */
  encryption?: kms.IKey | 'sqs-managed';
}

/** A dead-letter queue as every n8n-ark one is: encrypted, TLS only, messages kept 14 days. */
export function deadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): sqs.Queue {
  const encryption =
    props.encryption === undefined
      ? { encryption: sqs.QueueEncryption.KMS_MANAGED }
      : props.encryption === 'sqs-managed'
        ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
        : { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryption };
  const queue = new sqs.Queue(scope, id, {
    ...encryption,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const reason = `This queue is the dead-letter queue of ${props.of}; a dead-letter queue of a dead-letter queue adds nothing.`;
  Validations.of(queue).acknowledge(...props.unseenBy.map((rule) => ({ id: rule, reason })));
  return queue;
}
