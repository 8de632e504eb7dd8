/**
 * The configuration as written: the JSON of cdk.json's `n8nArk` context, and what
 * `new N8nArk(scope, id, config)` takes. Optional fields have the defaults types.ts names;
 * lib/config/index.ts validates it (a value of another shape fails the synth with the field named).
 */
import type { ObjectLockConfig, SubnetConfig } from './types.js';

export interface RetentionInput {
  last?: number;
  daily: number;
  weekly: number;
  monthly: number;
  schedule?: string;
}

export interface N8nArkInstanceConfig {
  name: string;
  secretName: string;
  restoreSecretName?: string;
  backup?: boolean;
  schedule?: string;
  history?: number;
  shrinkAlarmShare?: number;
  credentialSecrets?: string;
  retention?: RetentionInput | false;
  drill?: { targetSecret: string; schedule?: string; alarmAfterDays?: number };
}

export interface N8nArkConfig {
  instances: N8nArkInstanceConfig[];
  shrinkAlarmShare?: number;
  retentionDays?: number;
  archiveDays?: number;
  objectLock?: ObjectLockConfig;
  alarmEmail?: string;
  retention?: RetentionInput;
  vpc?: { vpcId: string; subnets?: SubnetConfig[]; securityGroupIds?: string[]; endpoints?: boolean };
  replicateTo?: { region: string; objectLock?: ObjectLockConfig };
  secretsKeyArn?: string;
  encryption?: { secretName: string; recipients?: string[] };
}
