/**
 * The deployment's configuration, read from cdk.json context (`n8nArk`), validated at synth time:
 *
 * {
 *   "instances": [{ "name": "prod", "secretName": "n8n-ark/prod", "schedule": "cron(0 2 * * ? *)",
 *                   "history": 10,             // saved versions kept per workflow; 0 keeps none
 *                   "drill": { "targetSecret": "n8n-ark/scratch", "schedule": "cron(0 5 * * ? *)",
 *                              "alarmAfterDays": 2 } }],   // optional restore drill, see lib/drill.ts
 *   "retentionDays": 90,                       // noncurrent archive versions kept this long
 *   "archiveDays": 365,                        // each nightly archive (its own dated key) kept this long
 *   "objectLock": { "mode": "GOVERNANCE", "days": 30 },   // optional
 *   "alarmEmail": "ops@example.com"            // optional
 * }
 */
export interface InstanceConfig {
  name: string;
  /** Secrets Manager secret holding {"url", "apiKey"}. */
  secretName: string;
  /** EventBridge Scheduler expression; default nightly at 02:00 UTC. */
  schedule: string;
  /** Newest saved versions kept per workflow (backup --history); absent = the backup's default, 10. */
  history?: number;
  /** A scheduled restore drill of this instance's newest archive into a scratch instance (lib/drill.ts). */
  drill?: DrillConfig;
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
    const drill =
      entry.drill === undefined ? undefined : parseDrillConfig(entry.drill, `instances[${i}].drill`, fail);
    return {
      name,
      secretName,
      schedule,
      ...(history !== undefined ? { history: history as number } : {}),
      ...(drill ? { drill } : {}),
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
