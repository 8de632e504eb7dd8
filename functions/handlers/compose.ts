/**
 * The Lambda handlers' composition root: the environment (validated once), the AWS clients and
 * the adapters handlers share — the n8n client, the archive store (encrypted archives opened with
 * the key from ENCRYPTION_SECRET, read only when one is met), ledgers, credential secrets.
 * Handlers stay small: parse the event, compose, call the core. (The zip writer is the backup
 * handler's alone: importing it here would put archiver in every function's bundle.)
 */
import { hostname } from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import {
  type AgeKeys,
  type AgeSealing,
  identitiesIn,
  type KeySource,
  recipientsIn,
  recipientsOf,
} from '../adapters/age/keys.js';
import { openDecrypting } from '../adapters/age/open.js';
import { type BackupMetrics, backupMetricsLine, drillMetricsLine } from '../adapters/cloudwatch-emf.js';
import { createJsonLogger } from '../adapters/json-logger.js';
import { createN8nClient, type N8nClient } from '../adapters/n8n/index.js';
import { formatS3Url, parseS3Url } from '../adapters/s3-archive-store.js';
import { S3LedgerStore } from '../adapters/s3-ledger-store.js';
import { S3SlicedArchiveStore } from '../adapters/s3-sliced-upload.js';
import {
  PrefixedSecretSource,
  readArchiveKeySecret,
  readInstanceSecret,
  SecretsManagerSecretSource,
} from '../adapters/secrets-manager.js';
import { openZipArchive } from '../adapters/zip-archive-reader.js';
import { type ClosableArchive, openArchiveAt } from '../core/archive/access.js';
import { sendsKeyInClear } from '../core/instance/url-safety.js';
import { retryWaitsMs } from '../core/options/retry-waits.js';
import {
  type LockOwner,
  type Logger,
  type SecretSource,
  silentProgress,
  systemClock,
} from '../core/ports.js';
import { targetLockName } from '../core/restore/target-lock.js';
import { TOOL_VERSION } from '../version.js';
import { credentialSecretsRefused, noDrillTarget, unknownInstance } from './errors.js';
import { parseAtEdge } from './events.js';

/**
 * A JSON object of names to names, in an environment variable, as a Map: a name looked up is only
 * ever one the object holds (`constructor` or `__proto__` find nothing); `what` says what it must hold.
 */
const jsonMap = (what: string) => (text: string, ctx: z.RefinementCtx) => {
  try {
    return namesToNames(JSON.parse(text));
  } catch {
    ctx.addIssue({ code: 'custom', message: what });
    return z.NEVER;
  }
};

/** The own string entries of a parsed JSON object (JSON.parse makes `__proto__` an own key, never a prototype). */
function namesToNames(parsed: unknown): ReadonlyMap<string, string> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TypeError('not an object');
  const entries = Object.entries(parsed);
  if (entries.some(([, value]) => typeof value !== 'string')) throw new TypeError('a value is not a string');
  return new Map(entries as [string, string][]);
}

const environmentSchema = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_PREFIX: z.string().default('archives'),
  KMS_KEY_ID: z.string().optional(),
  /** JSON object: instance name → name of its Secrets Manager secret ({"url", "apiKey"}). */
  INSTANCES: z.string().transform(jsonMap('INSTANCES must be a JSON object of instance name → secret name')),
  /** JSON object: target instance → the `sm://<prefix>` its restores may read credential secrets from. */
  CREDENTIAL_SECRETS: z
    .string()
    .default('{}')
    .transform(jsonMap('CREDENTIAL_SECRETS must be a JSON object of instance name → sm://<prefix>')),
  LOG_LEVEL: z.string().optional(),
  N8N_ARK_S3_FORCE_PATH_STYLE: z.string().optional(),
  /** The Secrets Manager secret of the archives' key (`encryption.secretName`): set where the function may read it. */
  ENCRYPTION_SECRET: z.string().min(1).optional(),
  /** Newline-separated age recipients backups are encrypted to besides the key's own (`encryption.recipients`). */
  ENCRYPTION_RECIPIENTS: z.string().default(''),
});

export type Environment = z.infer<typeof environmentSchema>;

/** DRILL_TARGETS: instance name → the Secrets Manager secret of its scratch instance. */
const drillTargetsSchema = z
  .string()
  .default('{}')
  .transform(jsonMap('DRILL_TARGETS must be a JSON object of instance name → secret name'));

/**
 * Time kept back from the Lambda limit to save and answer: a minute, or a quarter of the time for
 * an invocation given less than four (a slice must always have time to work).
 */
const SAFETY_MARGIN_MS = 60_000;
const marginOf = (remaining: number) => Math.min(SAFETY_MARGIN_MS, Math.floor(remaining / 4));

/** A Step Functions execution's limit (lib/sliced-machine.ts): past it, none of its slices runs. */
const EXECUTION_LIMIT_MS = 24 * 60 * 60 * 1000;

/** Clock difference allowed between this Lambda and the one that finds its lock. */
const LOCK_SKEW_MS = 60_000;

/** How an invocation's n8n client waits: the event's options (seconds) and the invocation's end (epoch ms). */
export interface ClientWaits {
  maxRetryWait?: number | undefined;
  retryBudget?: number | undefined;
  deadline?: number | undefined;
}

/** What a Lambda invocation is told about its own time. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** An archive in the bucket, as an event names it. */
export interface ArchiveKey {
  key: string;
  versionId?: string | undefined;
}

export type { BackupMetrics };

/** CloudWatch metrics, as embedded-metric-format lines on stdout. */
const EMF_METRICS = {
  backup: (metrics: BackupMetrics) => process.stdout.write(`${backupMetricsLine(metrics)}\n`),
  drill: (metrics: Parameters<typeof drillMetricsLine>[0]) =>
    process.stdout.write(`${drillMetricsLine(metrics)}\n`),
};

/** What every handler builds its run from. */
export class Composition {
  readonly env: Environment;
  readonly logger: Logger;
  readonly s3: S3Client;
  readonly store: S3SlicedArchiveStore;
  readonly clock = systemClock;
  readonly progress = silentProgress;
  readonly toolVersion = TOOL_VERSION;
  readonly openReader;
  readonly metrics = EMF_METRICS;
  private readonly secrets = new SecretsManagerSecretSource(new SecretsManagerClient({}));
  private archiveKey: Promise<AgeKeys | undefined> | undefined;

  constructor(private readonly processEnv: NodeJS.ProcessEnv) {
    this.env = parseAtEdge(environmentSchema, processEnv, 'Lambda environment');
    this.logger = createJsonLogger(this.env.LOG_LEVEL);
    this.s3 = new S3Client({ forcePathStyle: this.env.N8N_ARK_S3_FORCE_PATH_STYLE === 'true' });
    this.store = new S3SlicedArchiveStore({
      client: this.s3,
      bucket: this.env.ARCHIVE_BUCKET,
      prefix: this.env.ARCHIVE_PREFIX,
      ...(this.env.KMS_KEY_ID ? { kmsKeyId: this.env.KMS_KEY_ID } : {}),
    });
    this.openReader = openDecrypting(openZipArchive, this.keySource());
  }

  /**
   * How a backup seals its archive: with the passphrase, or to the identities' own recipients and
   * ENCRYPTION_RECIPIENTS (so this deployment's readers open it). None without ENCRYPTION_SECRET.
   */
  async sealing(): Promise<AgeSealing | undefined> {
    const keys = await this.keySource().load();
    if (!keys) return undefined;
    if (keys.passphrase !== undefined) return { passphrase: keys.passphrase };
    const extra = recipientsIn(this.env.ENCRYPTION_RECIPIENTS, 'ENCRYPTION_RECIPIENTS');
    return { recipients: [...new Set([...(await recipientsOf(keys.identities)), ...extra])] };
  }

  /** The archives' key, read from its secret once, when an encrypted archive (or a backup) first needs it. */
  private keySource(): KeySource {
    const secretName = this.env.ENCRYPTION_SECRET;
    return {
      load: () => {
        if (!secretName) return Promise.resolve(undefined);
        this.archiveKey ??= readArchiveKeySecret(this.secrets, secretName).then((secret) =>
          'passphrase' in secret
            ? { identities: [], passphrase: secret.passphrase }
            : { identities: identitiesIn(secret.identity, `the archive key secret ${secretName}`) },
        );
        return this.archiveKey;
      },
      hint: secretName
        ? `it is not encrypted to the key in the secret ${secretName} (encryption.secretName in the CDK config)`
        : 'this function has no archive key: set "encryption" in the CDK config (docs/OPERATIONS.md) and deploy',
    };
  }

  /**
   * The n8n client for a configured instance, waiting for n8n as the event's `maxRetryWait` and
   * `retryBudget` say, and never past `deadline` (the invocation's end).
   */
  async n8n(instance: string, waits: ClientWaits = {}): Promise<N8nClient> {
    return this.clientFor(this.configured(instance), waits);
  }

  /** The secret name of a configured instance; any other name (a prototype's key included) is refused. */
  configured(instance: string): string {
    const secretName = this.env.INSTANCES.get(instance);
    if (!secretName) throw unknownInstance(instance, [...this.env.INSTANCES.keys()]);
    return secretName;
  }

  /** The scratch instance drills of `instance` restore into (DRILL_TARGETS). */
  async drillTarget(instance: string): Promise<N8nClient> {
    const targets = parseAtEdge(drillTargetsSchema, this.processEnv.DRILL_TARGETS, 'DRILL_TARGETS');
    const secretName = targets.get(instance);
    if (!secretName) throw noDrillTarget(instance);
    return this.clientFor(secretName);
  }

  /**
   * Credential secrets for a restore into `target` from `sm://<prefix>`: refused unless the prefix is
   * the one configured for that target (the only one the function may read).
   */
  credentialSecrets(target: string, uri: string): SecretSource {
    const allowed = this.env.CREDENTIAL_SECRETS.get(target);
    if (allowed === undefined) throw credentialSecretsRefused.notConfigured(target);
    if (uri !== allowed) throw credentialSecretsRefused.otherPrefix(target, allowed, uri);
    return new PrefixedSecretSource(this.secrets, uri.slice('sm://'.length));
  }

  location(archive: ArchiveKey): string {
    return formatS3Url({ bucket: this.env.ARCHIVE_BUCKET, ...archive });
  }

  /** An archive's key (and version) from its s3:// location. */
  archiveKeyOf(location: string): ArchiveKey & { bucket: string } {
    return parseS3Url(location);
  }

  openArchive(archive: ArchiveKey): Promise<ClosableArchive> {
    return openArchiveAt(this.store, this.location(archive), this.openReader);
  }

  /** A ledger beside the archive; `holder` names whose lock is taken over when one is stale. */
  ledgerStore(key: string, holder?: string): S3LedgerStore {
    const onStaleLock = (lock: LockOwner) =>
      this.logger.warn(`took over the lock of a ${holder} that is gone`, { ...lock });
    return new S3LedgerStore(this.s3, this.env.ARCHIVE_BUCKET, key, holder ? { onStaleLock } : {});
  }

  /**
   * The target's lock (one restore per target), in the bucket beside the ledgers: a key the
   * restore role may write and delete as it does its ledger's lock (`*.ledger.json.lock`).
   */
  targetLocks(targetUrl: string, holder: string): S3LedgerStore {
    const key = `${this.env.ARCHIVE_PREFIX}/.target-locks/${targetLockName(targetUrl)}.ledger.json`;
    const onStaleLock = (lock: LockOwner) =>
      this.logger.warn(`took over the target lock of a ${holder} that is gone`, { ...lock });
    // A ledger lock like the others: taken over once stale, or at once by a slice of its execution.
    return new S3LedgerStore(this.s3, this.env.ARCHIVE_BUCKET, key, {
      onStaleLock,
      names: { job: 'restore', object: 'target lock' },
    });
  }

  /**
   * This invocation's deadline and ledger lock: a slice stops a minute before the Lambda would be
   * stopped; `execution` (the state machine's execution id) lets its own retry take the lock over.
   */
  slice(context: LambdaContext, execution?: string): { deadline: number; lockOwner: LockOwner } {
    const remaining = context.getRemainingTimeInMillis();
    const now = Date.now();
    return {
      deadline: now + remaining - marginOf(remaining),
      // The function is stopped at its timeout: past it (and a minute of clock skew) the lock is stale.
      lockOwner: {
        pid: process.pid,
        host: hostname(),
        startedAt: new Date(now).toISOString(),
        endsBy: new Date(now + remaining + LOCK_SKEW_MS).toISOString(),
        ...(execution ? { execution } : {}),
      },
    };
  }

  /**
   * A sliced backup's state and lock (`<prefix>/<instance>/backup-in-progress.json` and `.lock`),
   * the lock held from the first slice to the last: it is certainly gone once the execution is
   * (24 hours after it started), and the execution's own slices take it over at once.
   */
  backupProgress(
    instance: string,
    context: LambdaContext,
    slicing: { execution: string; startedAt?: string | undefined },
  ): { slices: S3LedgerStore; lockOwner: LockOwner & { execution: string }; deadline: number } {
    const key = `${this.store.instancePrefix(instance)}backup-in-progress.json`;
    const { deadline, lockOwner } = this.slice(context, slicing.execution);
    const started = slicing.startedAt ? Date.parse(slicing.startedAt) : Date.now();
    const endsBy = new Date(started + EXECUTION_LIMIT_MS + LOCK_SKEW_MS).toISOString();
    const onStaleLock = (lock: LockOwner) =>
      this.logger.warn('took over the lock of a backup slice that is gone', { ...lock });
    const names = { job: 'backup', object: 'sliced backup state' };
    return {
      slices: new S3LedgerStore(this.s3, this.env.ARCHIVE_BUCKET, key, { onStaleLock, names }),
      lockOwner: { ...lockOwner, endsBy, execution: slicing.execution },
      deadline,
    };
  }

  /** The n8n client of the instance behind a secret (read once per call, never logged). */
  private async clientFor(secretName: string, waits: ClientWaits = {}): Promise<N8nClient> {
    const { url, apiKey } = await readInstanceSecret(this.secrets, secretName);
    if (sendsKeyInClear(url))
      this.logger.warn(
        'the instance URL is plain http to another machine: its API key crosses the network in clear',
        {
          secret: secretName,
        },
      );
    const { deadline, ...options } = waits;
    return createN8nClient({
      baseUrl: url,
      apiKey,
      logger: this.logger,
      ...retryWaitsMs(options),
      ...(deadline === undefined ? {} : { deadline }),
    });
  }
}

/** Where the restore of an archive into a target keeps its ledger: beside the archive, one per target. */
export function restoreLedgerKey(archive: ArchiveKey, target: string): string {
  return `${archive.key}.restore-${target}.ledger.json`;
}

export function compose(processEnv: NodeJS.ProcessEnv): Composition {
  return new Composition(processEnv);
}
