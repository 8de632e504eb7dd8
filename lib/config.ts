/**
 * The deployment's configuration, read from cdk.json context (`n8nArk`), validated at synth time:
 *
 * {
 *   "instances": [{ "name": "prod", "secretName": "n8n-ark/prod", "schedule": "cron(0 2 * * ? *)",
 *                   "history": 10 }],          // saved versions kept per workflow; 0 keeps none
 *   "retentionDays": 90,                       // noncurrent archive versions kept this long
 *   "archiveDays": 365,                        // each nightly archive (its own dated key) kept this long
 *   "objectLock": { "mode": "GOVERNANCE", "days": 30 },   // optional
 *   "alarmEmail": "ops@example.com",           // optional
 *   "retention": { "daily": 7, "weekly": 5, "monthly": 12 }  // optional: a scheduled prune (GFS)
 * }
 *
 * `retention` ({last?, daily, weekly, monthly, schedule?}) at the top is every instance's default;
 * an instance's own `retention` replaces it, and `"retention": false` turns the prune off for it.
 * Where a prune runs, the lifecycle no longer expires that instance's current archives.
 */
export interface InstanceConfig {
  name: string;
  /** Secrets Manager secret holding {"url", "apiKey"}. */
  secretName: string;
  /** EventBridge Scheduler expression; default nightly at 02:00 UTC. */
  schedule: string;
  /** Newest saved versions kept per workflow (backup --history); absent = the backup's default, 10. */
  history?: number;
  /** The scheduled prune's policy (restic forget's rules); absent = no prune, archiveDays expiry. */
  retention?: RetentionConfig;
}

export interface RetentionConfig {
  last?: number;
  daily: number;
  weekly: number;
  monthly: number;
  /** EventBridge Scheduler expression; default daily at 04:00 UTC. */
  schedule: string;
}

export const DEFAULT_PRUNE_SCHEDULE = 'cron(0 4 * * ? *)';
const MAX_RULE_COUNT = 100_000;

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

export interface ArkConfig {
  instances: InstanceConfig[];
  retentionDays: number;
  /** Days each archive stays current; every nightly run writes a new key, so without this they pile up. */
  archiveDays: number;
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
  alarmEmail?: string;
}

export const DEFAULT_SCHEDULE = 'cron(0 2 * * ? *)';
const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,40}$/;

export function parseConfig(raw: unknown): ArkConfig {
  const fail = (why: string): never => {
    throw new Error(`cdk.json context "n8nArk": ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('missing; see docs/OPERATIONS.md');
  const input = raw as Record<string, unknown>;
  const instances = Array.isArray(input.instances) ? input.instances : fail('"instances" must be a list');
  const defaultRetention =
    input.retention === undefined ? undefined : parseRetention(input.retention, 'retention', fail);
  const parsed = instances.map((item, i): InstanceConfig => {
    const entry = (item ?? {}) as Record<string, unknown>;
    const name =
      typeof entry.name === 'string' && NAME.test(entry.name)
        ? entry.name
        : fail(`instances[${i}].name must match ${NAME}`);
    const secretName =
      typeof entry.secretName === 'string' && entry.secretName
        ? entry.secretName
        : fail(`instances[${i}].secretName is required`);
    const schedule = entry.schedule === undefined ? DEFAULT_SCHEDULE : String(entry.schedule);
    if (!/^(cron|rate)\(.+\)$/.test(schedule))
      fail(`instances[${i}].schedule must be cron(...) or rate(...)`);
    const history = entry.history;
    if (
      history !== undefined &&
      (!Number.isInteger(history) || (history as number) < 0 || (history as number) > 1000)
    )
      fail(`instances[${i}].history must be a whole number of versions from 0 to 1000`);
    const retention =
      entry.retention === false
        ? undefined
        : entry.retention === undefined
          ? defaultRetention
          : parseRetention(entry.retention, `instances[${i}].retention`, fail);
    return {
      name,
      secretName,
      schedule,
      ...(history !== undefined ? { history: history as number } : {}),
      ...(retention ? { retention } : {}),
    };
  });
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
  return {
    instances: parsed,
    retentionDays,
    archiveDays,
    ...(objectLock ? { objectLock } : {}),
    ...(typeof input.alarmEmail === 'string' ? { alarmEmail: input.alarmEmail } : {}),
  };
}
