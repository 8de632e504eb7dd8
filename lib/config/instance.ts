import { checkWatchable, scheduleExpression } from './schedule.js';
import {
  BACKUP_SLACK_HOURS,
  DEFAULT_DRILL_SCHEDULE,
  DEFAULT_PRUNE_SCHEDULE,
  DEFAULT_SCHEDULE,
  DRILL_SLACK_HOURS,
  type DrillConfig,
  type Fail,
  type InstanceConfig,
  type RetentionConfig,
} from './types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,40}$/;
/** A Secrets Manager name prefix: the characters secret names allow, no wildcard, no trailing slash. */
const SECRET_PREFIX = /^sm:\/\/[A-Za-z0-9/_+=.@-]*[A-Za-z0-9_+=.@-]$/;
/** Settings that only mean something for an instance that is backed up. */
const BACKUP_ONLY = ['schedule', 'history', 'shrinkAlarmShare', 'exclude', 'retention', 'drill'] as const;
/**
 * What a backup may leave out (`backup --exclude`): lib/ never imports functions/, so the backup's
 * list is written again here and test/infra/config-exclude.test.ts keeps the two equal.
 */
export const EXCLUDABLE_KINDS = [
  'users',
  'projects',
  'folders',
  'tags',
  'variables',
  'credentials',
  'dataTables',
  'dataTableRows',
] as const;
const MAX_RULE_COUNT = 100_000;

export const isShare = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1;

/** Checks a `retention` object; `where` names it in messages (`retention`, `instances[1].retention`). */
export function parseRetention(raw: unknown, where: string, fail: Fail): RetentionConfig {
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
  const schedule = scheduleExpression(input.schedule, DEFAULT_PRUNE_SCHEDULE, `${where}.schedule`, fail);
  return {
    ...(last !== undefined ? { last } : {}),
    daily: daily ?? 0,
    weekly: weekly ?? 0,
    monthly: monthly ?? 0,
    schedule,
  };
}

function parseDrill(raw: unknown, at: string, fail: Fail): DrillConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(`${at} must be an object {"targetSecret", "schedule"?, "alarmAfterDays"?}`);
  const drill = raw as Record<string, unknown>;
  const targetSecret =
    typeof drill.targetSecret === 'string' && drill.targetSecret
      ? drill.targetSecret
      : fail(`${at}.targetSecret is required: the secret of the scratch instance the drill restores into`);
  const schedule = scheduleExpression(drill.schedule, DEFAULT_DRILL_SCHEDULE, `${at}.schedule`, fail);
  const days = drill.alarmAfterDays;
  if (days !== undefined && (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 7))
    fail(
      `${at}.alarmAfterDays must be a whole number of days from 1 to 7 (CloudWatch evaluates at most 7 days)`,
    );
  if (days === undefined)
    checkWatchable(
      schedule,
      `${at}.schedule`,
      {
        alarm: 'the drill staleness alarm',
        slackHours: DRILL_SLACK_HOURS,
        otherwise: 'or set "alarmAfterDays" (1–7) to choose its window',
      },
      fail,
    );
  return { targetSecret, schedule, ...(days !== undefined ? { alarmAfterDays: days as number } : {}) };
}

type Identity = Pick<InstanceConfig, 'name' | 'secretName' | 'restoreSecretName' | 'backup'>;

function parseIdentity(entry: Record<string, unknown>, i: number, fail: Fail): Identity {
  const name =
    typeof entry.name === 'string' && NAME.test(entry.name)
      ? entry.name
      : fail(`instances[${i}].name must match ${NAME}`);
  const at = `instances[${i}] ("${name}")`;
  const secretName =
    typeof entry.secretName === 'string' && entry.secretName
      ? entry.secretName
      : fail(`instances[${i}].secretName is required`);
  const restoreSecretName = entry.restoreSecretName;
  if (restoreSecretName !== undefined && (typeof restoreSecretName !== 'string' || !restoreSecretName))
    fail(`${at}.restoreSecretName must be the name of a Secrets Manager secret`);
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
  return {
    name,
    secretName,
    ...(restoreSecretName !== undefined ? { restoreSecretName: restoreSecretName as string } : {}),
    backup,
  };
}

function parseExclude(value: unknown, at: string, fail: Fail): string[] | undefined {
  if (value === undefined) return undefined;
  const allowed: readonly string[] = EXCLUDABLE_KINDS;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((kind) => typeof kind !== 'string' || !allowed.includes(kind))
  )
    fail(
      `${at}.exclude must be a non-empty list of ${EXCLUDABLE_KINDS.join(', ')} (workflows cannot be left out), not ${JSON.stringify(value)}`,
    );
  return [...new Set(value as string[])];
}

function parseCredentialSecrets(value: unknown, at: string, fail: Fail): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || !SECRET_PREFIX.test(value)))
    fail(
      `${at}.credentialSecrets must be sm://<prefix> (Secrets Manager secrets <prefix>/<credential id>, e.g. sm://n8n-ark/credentials), not ${JSON.stringify(value)}`,
    );
  return value as string | undefined;
}

export function parseInstance(
  item: unknown,
  i: number,
  fail: Fail,
  defaultRetention: RetentionConfig | undefined,
): InstanceConfig {
  const entry = (item ?? {}) as Record<string, unknown>;
  const identity = parseIdentity(entry, i, fail);
  const at = `instances[${i}] ("${identity.name}")`;
  const schedule = scheduleExpression(entry.schedule, DEFAULT_SCHEDULE, `instances[${i}].schedule`, fail);
  if (identity.backup)
    checkWatchable(
      schedule,
      `instances[${i}].schedule`,
      { alarm: 'NoRecentBackup', slackHours: BACKUP_SLACK_HOURS },
      fail,
    );
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
  const credentialSecrets = parseCredentialSecrets(entry.credentialSecrets, at, fail);
  const exclude = parseExclude(entry.exclude, at, fail);
  const retention =
    !identity.backup || entry.retention === false
      ? undefined
      : entry.retention === undefined
        ? defaultRetention
        : parseRetention(entry.retention, `instances[${i}].retention`, fail);
  const drill =
    entry.drill === undefined ? undefined : parseDrill(entry.drill, `instances[${i}].drill`, fail);
  return {
    ...identity,
    schedule,
    ...(history !== undefined ? { history: history as number } : {}),
    ...(share !== undefined ? { shrinkAlarmShare: share as number } : {}),
    ...(exclude ? { exclude } : {}),
    ...(credentialSecrets !== undefined ? { credentialSecrets } : {}),
    ...(retention ? { retention } : {}),
    ...(drill ? { drill } : {}),
  };
}
