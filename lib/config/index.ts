/**
 * The deployment's configuration: the JSON of cdk.json's `n8nArk` context, or the object given to
 * `new N8nArk(scope, id, config)` (the same validation, the same errors), checked at synth time:
 *
 * {
 *   "instances": [
 *     { "name": "prod", "secretName": "n8n-ark/prod", "schedule": "cron(0 2 * * ? *)",
 *       "history": 10,                          // saved versions kept per workflow; 0 keeps none
 *       "shrinkAlarmShare": 0.1,                // optional: this instance's own share (below)
 *       "drill": { "targetSecret": "n8n-ark/scratch", "schedule": "cron(0 5 * * ? *)",
 *                  "alarmAfterDays": 2 } },     // optional restore drill, see lib/drill.ts
 *     { "name": "dr", "secretName": "n8n-ark/dr-read", "backup": false,   // a restore (and drill) target only
 *       "restoreSecretName": "n8n-ark/dr",      // optional: the write key restores use; secretName may then be read-only
 *       "credentialSecrets": "sm://n8n-ark/credentials" }  // restores into it may read <prefix>/<credential id>
 *   ],
 *   "shrinkAlarmShare": 0.2,                   // alarm when a backup has this share fewer of a kind than the one before
 *   "retentionDays": 90,                       // noncurrent archive versions kept this long
 *   "archiveDays": 365,                        // each nightly archive (its own dated key) kept this long
 *   "objectLock": { "mode": "GOVERNANCE", "days": 30 },   // optional
 *   "alarmEmail": "ops@example.com",           // optional
 *   "retention": { "daily": 7, "weekly": 5, "monthly": 12 },  // optional: a scheduled prune (GFS)
 *   "vpc": { "vpcId": "vpc-…", "subnets": [{ "id": "subnet-…", "availabilityZone": "eu-west-1a",
 *            "routeTableId": "rtb-…" }], "securityGroupIds": ["sg-…"], "endpoints": true },  // optional
 *   "replicateTo": { "region": "eu-central-1", "objectLock": { "mode": "COMPLIANCE", "days": 30 } },  // optional
 *   "secretsKeyArn": "arn:aws:kms:…:key/…",    // optional: the CMK the instance secrets are encrypted with
 *   "encryption": { "secretName": "n8n-ark/archive-key",   // optional: archives encrypted client-side (age)
 *                   "recipients": ["age1…"] }              // optional: further public keys (one kept offline)
 * }
 *
 * `retention` ({last?, daily, weekly, monthly, schedule?}) at the top is every backed-up instance's
 * default; an instance's own `retention` replaces it, and `"retention": false` turns the prune off for
 * it. Where a prune runs, the lifecycle no longer expires that instance's current archives.
 */
import {
  parseEncryption,
  parseObjectLock,
  parseReplication,
  parseSecretsKey,
  parseVpc,
} from './deployment.js';
import { isShare, parseInstance, parseRetention } from './instance.js';
import { type ArkConfig, DEFAULT_SHRINK_ALARM_SHARE, type Fail } from './types.js';

export type { N8nArkConfig, N8nArkInstanceConfig } from './input.js';
export * from './types.js';

function wholeDays(raw: unknown, fallback: number, field: string, fail: Fail): number {
  const days = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(days) || days < 1) fail(`"${field}" must be a whole number of days`);
  return days;
}

/** The optional settings beside the instances, each present only when given. */
function parseDeployment(input: Record<string, unknown>, fail: Fail): Partial<ArkConfig> {
  return {
    ...(input.objectLock !== undefined
      ? { objectLock: parseObjectLock(input.objectLock, 'objectLock', fail) }
      : {}),
    ...(typeof input.alarmEmail === 'string' ? { alarmEmail: input.alarmEmail } : {}),
    ...(input.vpc !== undefined ? { vpc: parseVpc(input.vpc, fail) } : {}),
    ...(input.replicateTo !== undefined ? { replicateTo: parseReplication(input.replicateTo, fail) } : {}),
    ...(input.secretsKeyArn !== undefined
      ? { secretsKeyArn: parseSecretsKey(input.secretsKeyArn, fail) }
      : {}),
    ...(input.encryption !== undefined ? { encryption: parseEncryption(input.encryption, fail) } : {}),
  };
}

export function parseConfig(raw: unknown): ArkConfig {
  const fail: Fail = (why) => {
    throw new Error(`cdk.json context "n8nArk": ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('missing; see docs/OPERATIONS.md');
  const input = raw as Record<string, unknown>;
  const instances = Array.isArray(input.instances) ? input.instances : fail('"instances" must be a list');
  const defaultRetention =
    input.retention === undefined ? undefined : parseRetention(input.retention, 'retention', fail);
  const parsed = instances.map((item, i) => parseInstance(item, i, fail, defaultRetention));
  if (new Set(parsed.map((p) => p.name)).size !== parsed.length) fail('instance names must be unique');
  const retentionDays = wholeDays(input.retentionDays, 90, 'retentionDays', fail);
  const archiveDays = wholeDays(input.archiveDays, 365, 'archiveDays', fail);
  const shrinkAlarmShare = input.shrinkAlarmShare ?? DEFAULT_SHRINK_ALARM_SHARE;
  if (!isShare(shrinkAlarmShare))
    fail(
      `"shrinkAlarmShare" must be a share between 0 and 1 (0.2 = 20 % fewer workflows), not ${JSON.stringify(shrinkAlarmShare)}`,
    );
  return { instances: parsed, shrinkAlarmShare, retentionDays, archiveDays, ...parseDeployment(input, fail) };
}
