import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic.js';
import { ArchiveKeyWatch } from './alarms/key-watch.js';
import { OperationWatch } from './alarms/watch.js';
import { type ArchivesRef, grantArchiveAccess } from './archive-access.js';
import { ArchiveBucket } from './archive-bucket.js';
import { ArkFunction, type FunctionNetwork } from './ark-function.js';
import { BackupMachine } from './backup-machine.js';
import { type ArkConfig, type N8nArkConfig, parseConfig } from './config/index.js';
import { RestoreDrills } from './drill.js';
import { ArkNetwork } from './network.js';
import { NightlyBackups } from './nightly-backups.js';
import { ArchiveReplica } from './replication.js';
import { RestoreMachine } from './restore-machine.js';
import { expiringPrefixes, Retention } from './retention.js';
import {
  archiveKeyEnvironment,
  archiveKeySecrets,
  credentialSecretsByTarget,
  instanceSecrets,
  SecretGrants,
} from './secrets.js';

/** Namespace of the metrics the functions emit (EMF) and the alarms read. */
export const METRIC_NAMESPACE = 'n8n-ark';
/** Key prefix the archives live under in the bucket (the functions' `ARCHIVE_PREFIX`). */
export const ARCHIVE_PREFIX = 'archives';

export interface ArkFunctions {
  backup: ArkFunction;
  restore: ArkFunction;
  verify: ArkFunction;
}

interface Shared {
  ref: ArchivesRef;
  secrets: SecretGrants;
  environment: Record<string, string>;
  /** What a function that opens encrypted archives adds: the key's secret (to read) and its environment. */
  archiveKey: { environment: Record<string, string>; secrets: string[] };
  network?: FunctionNetwork;
}

/**
 * n8n-ark on AWS, as a construct: `new N8nArk(scope, id, config)` with `config` the object cdk.json's
 * `n8nArk` context takes (lib/config/). It builds a versioned, encrypted archive bucket that the
 * functions' roles cannot erase (explicit grants, lib/archive-access.ts, and a bucket-policy Deny);
 * a nightly backup per instance, in slices on the backup state machine (lib/backup-machine.ts), and
 * a daily verify of its newest archive (lib/nightly-backups.ts);
 * the restore state machine (lib/restore-machine.ts); optional restore drills, scheduled prunes, VPC
 * and cross-region replication; and alarms on every way those can fail, all to one SNS topic whose
 * policies let them publish (lib/alarm-topic.ts, lib/alarms/). Instances with `backup: false` get no
 * schedule, verify or backup alarm: they are restore targets.
 */
export class N8nArk extends Construct {
  readonly config: ArkConfig;
  readonly archives: ArchiveBucket;
  readonly alarms: AlarmTopic;
  readonly functions: ArkFunctions;
  readonly backupMachine: sfn.StateMachine;
  readonly restoreMachine: sfn.StateMachine;
  readonly drillMachine?: sfn.StateMachine;
  readonly replica?: ArchiveReplica;

  constructor(scope: Construct, id: string, config: N8nArkConfig) {
    super(scope, id);
    const c = parseConfig(config);
    this.config = c;
    this.archives = new ArchiveBucket(this, 'Archives', {
      retentionDays: c.retentionDays,
      archiveDays: c.archiveDays,
      ...(c.objectLock ? { objectLock: c.objectLock } : {}),
      expireCurrentUnder: expiringPrefixes(c.instances, ARCHIVE_PREFIX),
    });
    this.alarms = new AlarmTopic(this, 'Alarms', c.alarmEmail ? { email: c.alarmEmail } : {});
    const alarmAction = new actions.SnsAction(this.alarms.topic);
    const shared = this.shared(c);
    this.functions = this.coreFunctions(c, shared);
    const { backup, restore, verify } = this.functions;
    const backups = new BackupMachine(this, 'BackupMachine', { backup, alarmAction });
    this.backupMachine = backups.machine;
    new NightlyBackups(this, 'Backups', {
      instances: c.instances.filter((i) => i.backup),
      backup,
      machine: backups.machine,
      verify,
      shrinkAlarmShare: c.shrinkAlarmShare,
      namespace: METRIC_NAMESPACE,
      alarmAction,
    });
    const restores = new RestoreMachine(this, 'RestoreMachine', {
      restore,
      verify,
      alarms: this.alarms,
      alarmAction,
    });
    this.restoreMachine = restores.machine;
    const scheduled = this.scheduledJobs(c, shared, alarmAction);
    this.drillMachine = scheduled.drillMachine;
    const all = [backup, restore, verify, ...scheduled.functions];
    new OperationWatch(this, 'Watch', { functions: all, verify, alarms: this.alarms, alarmAction });
    new ArchiveKeyWatch(this, 'ArchiveKeyWatch', {
      key: this.archives.key,
      alarms: this.alarms,
      alarmAction,
    });
    if (c.replicateTo)
      this.replica = new ArchiveReplica(this, 'Replica', {
        ...shared.ref,
        config: c.replicateTo,
        retentionDays: c.retentionDays,
        archiveDays: c.archiveDays,
      });
    this.archives.denyErasing([...all.map((fn) => fn.role), ...(this.replica ? [this.replica.role] : [])]);
  }

  /** Restore drills and scheduled prunes, where configured: their functions and the drill machine. */
  private scheduledJobs(
    c: ArkConfig,
    shared: Shared,
    alarmAction: cloudwatch.IAlarmAction,
  ): { functions: ArkFunction[]; drillMachine?: sfn.StateMachine } {
    const common = {
      alarmAction,
      ...shared.ref,
      environment: shared.environment,
      ...(shared.network ? { network: shared.network } : {}),
    };
    const drills = new RestoreDrills(this, 'Drills', {
      ...common,
      environment: { ...shared.environment, ...shared.archiveKey.environment },
      archiveKeySecrets: shared.archiveKey.secrets,
      instances: c.instances,
      alarms: this.alarms,
      metricNamespace: METRIC_NAMESPACE,
      secrets: shared.secrets,
    });
    const retention = new Retention(this, 'Retention', {
      ...common,
      instances: c.instances.filter((i) => i.backup),
    });
    return {
      functions: [...(drills.function ? [drills.function] : []), ...retention.functions.values()],
      ...(drills.machine ? { drillMachine: drills.machine } : {}),
    };
  }

  private shared(c: ArkConfig): Shared {
    const ref = { archives: this.archives, prefix: ARCHIVE_PREFIX };
    const network = c.vpc ? new ArkNetwork(this, 'Network', c.vpc).network : undefined;
    const environment = {
      ARCHIVE_BUCKET: this.archives.bucket.bucketName,
      ARCHIVE_PREFIX,
      KMS_KEY_ID: this.archives.key.keyArn,
      INSTANCES: JSON.stringify(instanceSecrets.verify(c.instances)),
    };
    return {
      ref,
      secrets: new SecretGrants(this, 'Secrets', c.secretsKeyArn),
      environment,
      // The prune needs no key (it reads dates from names): only the readers get it.
      archiveKey: { environment: archiveKeyEnvironment(c), secrets: archiveKeySecrets(c) },
      ...(network ? { network } : {}),
    };
  }

  /** The backup, restore and verify functions, each with its own secrets and archive access. */
  private coreFunctions(
    c: ArkConfig,
    { ref, secrets, environment, archiveKey, network }: Shared,
  ): ArkFunctions {
    const make = (
      id: string,
      handler: 'backup' | 'restore' | 'verify',
      memorySize: number,
      env: Record<string, string>,
    ) =>
      new ArkFunction(this, id, {
        handler,
        environment: { ...environment, ...archiveKey.environment, ...env },
        memorySize,
        timeout: Duration.minutes(handler === 'verify' ? 10 : 15),
        ...(network ? { network } : {}),
      });
    const maps = {
      backup: instanceSecrets.backup(c.instances),
      restore: instanceSecrets.restore(c.instances),
    };
    // Restore-only instances are unknown to the backup function: it cannot back them up by mistake.
    const backup = make('Backup', 'backup', 1024, { INSTANCES: JSON.stringify(maps.backup) });
    const restore = make('Restore', 'restore', 1024, {
      INSTANCES: JSON.stringify(maps.restore),
      CREDENTIAL_SECRETS: credentialSecretsByTarget(c),
    });
    const verify = make('Verify', 'verify', 512, {});
    grantArchiveAccess(backup, 'backup', ref);
    grantArchiveAccess(restore, 'restore', ref);
    grantArchiveAccess(verify, 'verify', ref);
    secrets.grantRead(backup, [...Object.values(maps.backup), ...archiveKey.secrets]);
    secrets.grantRead(restore, [...Object.values(maps.restore), ...archiveKey.secrets]);
    secrets.grantRead(verify, [...Object.values(instanceSecrets.verify(c.instances)), ...archiveKey.secrets]);
    secrets.grantPrefixes(
      restore,
      c.instances.flatMap((i) => (i.credentialSecrets ? [i.credentialSecrets] : [])),
    );
    return { backup, restore, verify };
  }
}
