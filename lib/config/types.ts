/**
 * The deployment's configuration after validation (lib/config/index.ts reads it from the JSON that
 * cdk.json's `n8nArk` context, or `new N8nArk(scope, id, config)`, takes; input.ts has that shape).
 */
export interface InstanceConfig {
  name: string;
  /**
   * Secrets Manager secret holding {"url", "apiKey"}: the key the backup and the verify read with.
   * Read scopes suffice (the verify compares a restore's target through it too).
   */
  secretName: string;
  /** The secret restores (and migrations) into this instance write with; absent = `secretName`. */
  restoreSecretName?: string;
  /** False: never backed up (no schedule, verify or backup alarms); a restore or drill target only. */
  backup: boolean;
  /** EventBridge Scheduler expression; default nightly at 02:00 UTC. */
  schedule: string;
  /** Newest saved versions kept per workflow (backup --history); absent = the backup's default, 10. */
  history?: number;
  /** The BackupShrank alarm's drop share for this instance; absent = the stack's `shrinkAlarmShare`. */
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
  /**
   * Alarm when no drill passed in this many days (1–7: CloudWatch evaluates at most 7 days).
   * Absent: derived from `schedule` (its longest gap plus DRILL_SLACK_HOURS).
   */
  alarmAfterDays?: number;
}

export interface ObjectLockConfig {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  days: number;
}

/** A subnet given by hand: no lookup, so a synth needs no AWS credentials. */
export interface SubnetConfig {
  id: string;
  availabilityZone: string;
  routeTableId: string;
}

export interface VpcConfig {
  vpcId: string;
  /** The subnets the functions run in; absent = the VPC's private subnets, looked up at synth. */
  subnets?: SubnetConfig[];
  /** Security groups of the functions; absent = one created, outbound only. */
  securityGroupIds?: string[];
  /** An S3 gateway and a Secrets Manager interface endpoint in the VPC; default true. */
  endpoints: boolean;
}

export interface ReplicationConfig {
  /** The region the archive bucket is replicated to (a bucket of its own, Object Lock on). */
  region: string;
  /** The replica bucket's Object Lock default retention; default GOVERNANCE, 30 days. */
  objectLock: ObjectLockConfig;
}

export interface ArkConfig {
  instances: InstanceConfig[];
  /** A backup with more than this share fewer of a kind than the previous archive raises BackupShrank. */
  shrinkAlarmShare: number;
  retentionDays: number;
  /** Days each archive stays current; every nightly run writes a new key, so without this they pile up. */
  archiveDays: number;
  objectLock?: ObjectLockConfig;
  alarmEmail?: string;
  /** Run the functions in a VPC (a private n8n). */
  vpc?: VpcConfig;
  /** Replicate the archive bucket to another region. */
  replicateTo?: ReplicationConfig;
  /** The customer-managed KMS key the instance secrets are encrypted with (the functions get kms:Decrypt through Secrets Manager). */
  secretsKeyArn?: string;
  /** Archives encrypted client-side (age), and the key the functions that read them get. */
  encryption?: EncryptionConfig;
}

/**
 * Client-side encryption of every archive (age, `….zip.age`; docs/ARCHIVE-FORMAT.md). The backup,
 * verify, restore and drill functions may read `secretName`; the prune function needs no key and
 * may not.
 */
export interface EncryptionConfig {
  /**
   * Secrets Manager secret holding {"identity": "AGE-SECRET-KEY-1…"} or {"passphrase": "…"}: backups
   * are encrypted to the identity's public key (or with the passphrase), and readers open them with it.
   */
  secretName: string;
  /** Further age public keys every backup is encrypted to (e.g. one whose identity is kept offline). */
  recipients: string[];
}

export type Fail = (why: string) => never;

export const DEFAULT_SCHEDULE = 'cron(0 2 * * ? *)';
export const DEFAULT_PRUNE_SCHEDULE = 'cron(0 4 * * ? *)';
export const DEFAULT_DRILL_SCHEDULE = 'cron(0 5 * * ? *)';
export const DEFAULT_SHRINK_ALARM_SHARE = 0.2;
/** NoRecentBackup waits the schedule's longest gap plus this (a backup's run and the metric's delay). */
export const BACKUP_SLACK_HOURS = 2;
/** The drill staleness alarm waits the schedule's longest gap plus this (a drill restores a whole instance). */
export const DRILL_SLACK_HOURS = 6;
/** CloudWatch evaluates an alarm over at most 7 days. */
export const MAX_STALENESS_HOURS = 168;
