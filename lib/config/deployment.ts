/** The deployment-wide settings beside the instances: Object Lock, VPC, replication, the secrets' key. */
import type {
  EncryptionConfig,
  Fail,
  ObjectLockConfig,
  ReplicationConfig,
  SubnetConfig,
  VpcConfig,
} from './types.js';

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const ROUTE_TABLE_ID = /^rtb-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** An age public key as age-keygen prints it (bech32, lowercase; the function checks it whole). */
const AGE_RECIPIENT = /^age1(pq1|tag1|tagpq1)?[02-9ac-hj-np-z]{50,}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(
  input: Record<string, unknown>,
  known: readonly string[],
  where: string,
  fail: Fail,
): void {
  for (const key of Object.keys(input))
    if (!known.includes(key)) fail(`${where}.${key} is not a setting; ${where} takes ${known.join(', ')}`);
}

export function parseObjectLock(raw: unknown, where: string, fail: Fail): ObjectLockConfig {
  const lock = (raw ?? {}) as Record<string, unknown>;
  if (lock.mode !== 'GOVERNANCE' && lock.mode !== 'COMPLIANCE')
    fail(`${where}.mode must be GOVERNANCE or COMPLIANCE`);
  if (!Number.isInteger(lock.days) || (lock.days as number) < 1)
    fail(`${where}.days must be a whole number of days`);
  return { mode: lock.mode as ObjectLockConfig['mode'], days: lock.days as number };
}

function ids(raw: unknown, pattern: RegExp, where: string, fail: Fail): string[] {
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    !raw.every((id) => typeof id === 'string' && pattern.test(id))
  )
    fail(`${where} must be a non-empty list of ids matching ${pattern}`);
  return raw as string[];
}

function parseSubnets(raw: unknown, fail: Fail): SubnetConfig[] {
  if (!Array.isArray(raw) || raw.length === 0)
    fail('vpc.subnets must be a non-empty list of {id, availabilityZone, routeTableId}');
  return (raw as unknown[]).map((item, i) => {
    const at = `vpc.subnets[${i}]`;
    if (!isObject(item)) fail(`${at} must be {id, availabilityZone, routeTableId}`);
    const subnet = item as Record<string, unknown>;
    unknownKeys(subnet, ['id', 'availabilityZone', 'routeTableId'], at, fail);
    if (typeof subnet.id !== 'string' || !SUBNET_ID.test(subnet.id)) fail(`${at}.id must match ${SUBNET_ID}`);
    if (typeof subnet.availabilityZone !== 'string' || !subnet.availabilityZone)
      fail(`${at}.availabilityZone is required (e.g. eu-west-1a)`);
    if (typeof subnet.routeTableId !== 'string' || !ROUTE_TABLE_ID.test(subnet.routeTableId))
      fail(`${at}.routeTableId must match ${ROUTE_TABLE_ID} (the S3 gateway endpoint is added to it)`);
    return subnet as unknown as SubnetConfig;
  });
}

/**
 * `vpc`: `{ "vpcId" }` looks the VPC up at synth (AWS credentials and an account/region on the
 * stack); with `subnets` (and optionally `securityGroupIds`) nothing is looked up.
 */
export function parseVpc(raw: unknown, fail: Fail): VpcConfig {
  if (!isObject(raw)) fail('vpc must be an object {vpcId, subnets?, securityGroupIds?, endpoints?}');
  const vpc = raw as Record<string, unknown>;
  unknownKeys(vpc, ['vpcId', 'subnets', 'securityGroupIds', 'endpoints'], 'vpc', fail);
  if (typeof vpc.vpcId !== 'string' || !VPC_ID.test(vpc.vpcId)) fail(`vpc.vpcId must match ${VPC_ID}`);
  if (vpc.endpoints !== undefined && typeof vpc.endpoints !== 'boolean')
    fail('vpc.endpoints must be true or false');
  return {
    vpcId: vpc.vpcId as string,
    ...(vpc.subnets !== undefined ? { subnets: parseSubnets(vpc.subnets, fail) } : {}),
    ...(vpc.securityGroupIds !== undefined
      ? { securityGroupIds: ids(vpc.securityGroupIds, SECURITY_GROUP_ID, 'vpc.securityGroupIds', fail) }
      : {}),
    endpoints: vpc.endpoints !== false,
  };
}

export function parseReplication(raw: unknown, fail: Fail): ReplicationConfig {
  if (!isObject(raw)) fail('replicateTo must be an object {region, objectLock?}');
  const replication = raw as Record<string, unknown>;
  unknownKeys(replication, ['region', 'objectLock'], 'replicateTo', fail);
  if (typeof replication.region !== 'string' || !REGION.test(replication.region))
    fail(
      `replicateTo.region must be an AWS region such as eu-central-1, not ${JSON.stringify(replication.region)}`,
    );
  return {
    region: replication.region as string,
    objectLock:
      replication.objectLock === undefined
        ? { mode: 'GOVERNANCE', days: 30 }
        : parseObjectLock(replication.objectLock, 'replicateTo.objectLock', fail),
  };
}

export function parseSecretsKey(raw: unknown, fail: Fail): string {
  if (typeof raw !== 'string' || !KMS_KEY_ARN.test(raw))
    fail('secretsKeyArn must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)');
  return raw as string;
}

/** `encryption`: `{ "secretName": "n8n-ark/archive-key", "recipients"?: ["age1…"] }`. */
export function parseEncryption(raw: unknown, fail: Fail): EncryptionConfig {
  if (!isObject(raw)) fail('encryption must be an object {secretName, recipients?}');
  const encryption = raw as Record<string, unknown>;
  unknownKeys(encryption, ['secretName', 'recipients'], 'encryption', fail);
  if (typeof encryption.secretName !== 'string' || encryption.secretName.length === 0)
    fail(
      'encryption.secretName must name the Secrets Manager secret holding {"identity": "AGE-SECRET-KEY-1…"} or {"passphrase": "…"}',
    );
  const recipients = encryption.recipients ?? [];
  if (!Array.isArray(recipients) || !recipients.every((r) => typeof r === 'string' && AGE_RECIPIENT.test(r)))
    fail('encryption.recipients must be a list of age public keys (age1…, as age-keygen -y prints them)');
  return { secretName: encryption.secretName as string, recipients: recipients as string[] };
}
