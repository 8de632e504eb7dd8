/**
 * The deployment's configuration, read from cdk.json context (`n8nArk`), validated at synth time:
 *
 * {
 *   "instances": [
 *     { "name": "prod", "secretName": "n8n-ark/prod", "schedule": "cron(0 2 * * ? *)",
 *       "history": 10,                          // saved versions kept per workflow; 0 keeps none
 *       "shrinkAlarmShare": 0.1,                // optional: this instance's own share (below)
 *       "drill": { "targetSecret": "n8n-ark/scratch", "schedule": "cron(0 5 * * ? *)",
 *                  "alarmAfterDays": 2 } },     // optional restore drill, see lib/drill.ts
 *     { "name": "dr", "secretName": "n8n-ark/dr", "backup": false,   // a restore (and drill) target only
 *       "credentialSecrets": "sm://n8n-ark/credentials" }  // restores into it may read <prefix>/<credential id>
 *   ],
 *   "shrinkAlarmShare": 0.2,                   // alarm when a backup has this share fewer workflows than the one before
 *   "retentionDays": 90,                       // noncurrent archive versions kept this long
 *   "archiveDays": 365,                        // each nightly archive (its own dated key) kept this long
 *   "objectLock": { "mode": "GOVERNANCE", "days": 30 },   // optional
 *   "alarmEmail": "ops@example.com",           // optional
 *   "retention": { "daily": 7, "weekly": 5, "monthly": 12 }  // optional: a scheduled prune (GFS)
 * }
 *
 * `retention` ({last?, daily, weekly, monthly, schedule?}) at the top is every backed-up instance's
 * default; an instance's own `retention` replaces it, and `"retention": false` turns the prune off for
 * it. Where a prune runs, the lifecycle no longer expires that instance's current archives.
 */
export interface InstanceConfig {
  name: string;
  /** Secrets Manager secret holding {"url", "apiKey"}. */
  secretName: string;
  /** False: never backed up (no schedule, verify or backup alarms); a restore or drill target only. */
  backup: boolean;
  /** EventBridge Scheduler expression; default nightly at 02:00 UTC. */
  schedule: string;
  /** Newest saved versions kept per workflow (backup --history); absent = the backup's default, 10. */
  history?: number;
  /** The BackupShrank alarm's workflow-drop share for this instance; absent = the stack's `shrinkAlarmShare`. */
  shrinkAlarmShare?: number;
  /**
   * `sm://<prefix>`: restores into this instance may fill credential stubs from the Secrets Manager
   * secrets `<prefix>/<credential id>`; the restore function may read exactly those.
   */
  credentialSecrets?: string;
  /** The scheduled prune's policy (restic forget's rules); absent = no prune, archiveDays expiry. */
  retention?: RetentionConfig;
  /** A scheduled restore drill of this instance's newest archive into a scratch instance (lib/drill.ts). */
  drill?: DrillConfig;
}

export interface RetentionConfig {
  last?: number;
  daily: number;
  weekly: number;
  monthly: number;
  /** EventBridge Scheduler expression; default daily at 04:00 UTC. */
  schedule: string;
}

export interface DrillConfig {
  /** Secrets Manager secret holding {"url", "apiKey"} of the scratch instance (marked as a drill target). */
  targetSecret: string;
  /** EventBridge Scheduler expression; default daily at 05:00 UTC (after the nightly backup). */
  schedule: string;
  /** Alarm when no drill passed in this many days (1–7: CloudWatch evaluates at most 7 days). Default 2. */
  alarmAfterDays: number;
}

export interface ArkConfig {
  instances: InstanceConfig[];
  /** A backup with more than this share fewer workflows than the previous archive raises BackupShrank. */
  shrinkAlarmShare: number;
  retentionDays: number;
  /** Days each archive stays current; every nightly run writes a new key, so without this they pile up. */
  archiveDays: number;
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
  alarmEmail?: string;
}

export const DEFAULT_SCHEDULE = 'cron(0 2 * * ? *)';
export const DEFAULT_SHRINK_ALARM_SHARE = 0.2;
const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,40}$/;
/** A Secrets Manager name prefix: the characters secret names allow, no wildcard, no trailing slash. */
const SECRET_PREFIX = /^sm:\/\/[A-Za-z0-9/_+=.@-]*[A-Za-z0-9_+=.@-]$/;
/** Settings that only mean something for an instance that is backed up. */
const BACKUP_ONLY = ['schedule', 'history', 'shrinkAlarmShare', 'retention', 'drill'] as const;
export const DEFAULT_PRUNE_SCHEDULE = 'cron(0 4 * * ? *)';
const MAX_RULE_COUNT = 100_000;

type Fail = (why: string) => never;

const isShare = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1;

/** Checks a `retention` object; `where` names it in messages (`retention`, `instances[1].retention`). */
function parseRetention(raw: unknown, where: string, fail: (why: string) => never): RetentionConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(`${where} must be an object {last?, daily, weekly, monthly, schedule?}`);
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input))
    if (!['last', 'daily', 'weekly', 'monthly', 'schedule'].includes(key))
      fail(`${where}.${key} is not a retention rule`);
  const count = (rule: string, required: boolean): number | undefined => {
    const value = input[rule];
    if (value === undefined && !required) return undefined;
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_RULE_COUNT)
      fail(`${where}.${rule} must be a whole number from 0 to ${MAX_RULE_COUNT}`);
    return value as number;
  };
  const last = count('last', false);
  const [daily, weekly, monthly] = ['daily', 'weekly', 'monthly'].map((rule) => count(rule, true) as number);
  if (!last && !daily && !weekly && !monthly)
    fail(
      `${where} keeps nothing: give last, daily, weekly or monthly above 0 (a prune keeping nothing would delete every archive)`,
    );
  const schedule = input.schedule === undefined ? DEFAULT_PRUNE_SCHEDULE : String(input.schedule);
  if (!/^(cron|rate)\(.+\)$/.test(schedule)) fail(`${where}.schedule must be cron(...) or rate(...)`);
  return {
    ...(last !== undefined ? { last } : {}),
    daily: daily ?? 0,
    weekly: weekly ?? 0,
    monthly: monthly ?? 0,
    schedule,
  };
}

function parseInstance(
  item: unknown,
  i: number,
  fail: Fail,
  defaultRetention: RetentionConfig | undefined,
): InstanceConfig {
  const entry = (item ?? {}) as Record<string, unknown>;
  const name =
    typeof entry.name === 'string' && NAME.test(entry.name)
      ? entry.name
      : fail(`instances[${i}].name must match ${NAME}`);
  const at = `instances[${i}] ("${name}")`;
  const secretName =
    typeof entry.secretName === 'string' && entry.secretName
      ? entry.secretName
      : fail(`instances[${i}].secretName is required`);
  if (entry.backup !== undefined && typeof entry.backup !== 'boolean')
    fail(`${at}.backup must be true or false, not ${JSON.stringify(entry.backup)}`);
  const backup = entry.backup !== false;
  if (!backup) {
    const given = BACKUP_ONLY.filter((key) => entry[key] !== undefined);
    if (given.length > 0)
      fail(
        `${at} has "backup": false, so ${given.map((k) => `"${k}"`).join(', ')} would do nothing; remove it`,
      );
  }
  const schedule = entry.schedule === undefined ? DEFAULT_SCHEDULE : String(entry.schedule);
  if (!/^(cron|rate)\(.+\)$/.test(schedule)) fail(`instances[${i}].schedule must be cron(...) or rate(...)`);
  const history = entry.history;
  if (
    history !== undefined &&
    (!Number.isInteger(history) || (history as number) < 0 || (history as number) > 1000)
  )
    fail(`instances[${i}].history must be a whole number of versions from 0 to 1000`);
  const share = entry.shrinkAlarmShare;
  if (share !== undefined && !isShare(share))
    fail(
      `${at}.shrinkAlarmShare must be a share between 0 and 1 (0.2 = 20 % fewer workflows), not ${JSON.stringify(share)}`,
    );
  const credentialSecrets = entry.credentialSecrets;
  if (
    credentialSecrets !== undefined &&
    (typeof credentialSecrets !== 'string' || !SECRET_PREFIX.test(credentialSecrets))
  )
    fail(
      `${at}.credentialSecrets must be sm://<prefix> (Secrets Manager secrets <prefix>/<credential id>, e.g. sm://n8n-ark/credentials), not ${JSON.stringify(credentialSecrets)}`,
    );
  const retention =
    !backup || entry.retention === false
      ? undefined
      : entry.retention === undefined
        ? defaultRetention
        : parseRetention(entry.retention, `instances[${i}].retention`, fail);
  const drill =
    entry.drill === undefined ? undefined : parseDrillConfig(entry.drill, `instances[${i}].drill`, fail);
  return {
    name,
    secretName,
    backup,
    schedule,
    ...(history !== undefined ? { history: history as number } : {}),
    ...(share !== undefined ? { shrinkAlarmShare: share as number } : {}),
    ...(credentialSecrets !== undefined ? { credentialSecrets: credentialSecrets as string } : {}),
    ...(retention ? { retention } : {}),
    ...(drill ? { drill } : {}),
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
  const retentionDays = input.retentionDays === undefined ? 90 : Number(input.retentionDays);
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    fail('"retentionDays" must be a whole number of days');
  const archiveDays = input.archiveDays === undefined ? 365 : Number(input.archiveDays);
  if (!Number.isInteger(archiveDays) || archiveDays < 1) fail('"archiveDays" must be a whole number of days');
  let objectLock: ArkConfig['objectLock'];
  if (input.objectLock !== undefined) {
    const lock = input.objectLock as Record<string, unknown>;
    if (lock.mode !== 'GOVERNANCE' && lock.mode !== 'COMPLIANCE')
      fail('objectLock.mode must be GOVERNANCE or COMPLIANCE');
    if (!Number.isInteger(lock.days) || (lock.days as number) < 1)
      fail('objectLock.days must be a whole number of days');
    objectLock = { mode: lock.mode as 'GOVERNANCE' | 'COMPLIANCE', days: lock.days as number };
  }
  const shrinkAlarmShare = input.shrinkAlarmShare ?? DEFAULT_SHRINK_ALARM_SHARE;
  if (!isShare(shrinkAlarmShare))
    fail(
      `"shrinkAlarmShare" must be a share between 0 and 1 (0.2 = 20 % fewer workflows), not ${JSON.stringify(shrinkAlarmShare)}`,
    );
  return {
    instances: parsed,
    shrinkAlarmShare,
    retentionDays,
    archiveDays,
    ...(objectLock ? { objectLock } : {}),
    ...(typeof input.alarmEmail === 'string' ? { alarmEmail: input.alarmEmail } : {}),
  };
}

export const DEFAULT_DRILL_SCHEDULE = 'cron(0 5 * * ? *)';

function parseDrillConfig(raw: unknown, at: string, fail: (why: string) => never): DrillConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(`${at} must be an object {"targetSecret", "schedule"?, "alarmAfterDays"?}`);
  const drill = raw as Record<string, unknown>;
  const targetSecret =
    typeof drill.targetSecret === 'string' && drill.targetSecret
      ? drill.targetSecret
      : fail(`${at}.targetSecret is required: the secret of the scratch instance the drill restores into`);
  const schedule = drill.schedule === undefined ? DEFAULT_DRILL_SCHEDULE : String(drill.schedule);
  if (!/^(cron|rate)\(.+\)$/.test(schedule)) fail(`${at}.schedule must be cron(...) or rate(...)`);
  const days = drill.alarmAfterDays === undefined ? 2 : drill.alarmAfterDays;
  if (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 7)
    fail(
      `${at}.alarmAfterDays must be a whole number of days from 1 to 7 (CloudWatch evaluates at most 7 days)`,
    );
  return { targetSecret, schedule, alarmAfterDays: days as number };
}
