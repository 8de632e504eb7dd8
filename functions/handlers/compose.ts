/**
 * What the Lambda handlers share: the environment (validated once), the AWS clients, the adapters,
 * and the events' schemas. Handlers stay ~20 lines: parse the event, compose, call the core.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { createJsonLogger } from '../adapters/json-logger.js';
import { N8nHttpClient } from '../adapters/n8n-http-client.js';
import { S3ArchiveStore } from '../adapters/s3-archive-store.js';
import {
  PrefixedSecretSource,
  readInstanceSecret,
  SecretsManagerSecretSource,
} from '../adapters/secrets-manager.js';
import { UsageError } from '../core/errors.js';
import { eventShape } from '../core/options/table.js';
import type { Logger, SecretSource } from '../core/ports.js';
import { RESTORE_GROUPS, RESTORE_OPTIONS, restoreOptionsSchema } from '../core/restore/options.js';

const environmentSchema = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_PREFIX: z.string().default('archives'),
  KMS_KEY_ID: z.string().optional(),
  /** JSON object: instance name → name of its Secrets Manager secret ({"url", "apiKey"}). */
  INSTANCES: z.string().transform((text, ctx) => {
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(text));
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'INSTANCES must be a JSON object of instance name → secret name',
      });
      return z.NEVER;
    }
  }),
  /** JSON object: target instance → the `sm://<prefix>` its restores may read credential secrets from. */
  CREDENTIAL_SECRETS: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'CREDENTIAL_SECRETS must be a JSON object of instance name → sm://<prefix>',
        });
        return z.NEVER;
      }
    }),
  LOG_LEVEL: z.string().optional(),
  N8N_ARK_S3_FORCE_PATH_STYLE: z.string().optional(),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Validates an event (or the environment) at the edge: one clear line naming every bad field. */
export function parseAtEdge<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new UsageError(`invalid ${what}: ${problems}`);
}

/**
 * `history`: newest saved versions kept per workflow (default 10, 0 keeps none); `shrinkAlarmShare`:
 * the workflow-drop share past which the backup counts as shrunk (default 0.2); both from the CDK config.
 */
export const backupEventSchema = z.object({
  instance: z.string().min(1),
  history: z.number().int().min(0).max(1000).optional(),
  shrinkAlarmShare: z
    .number({ error: 'must be a share between 0 and 1' })
    .gt(0, { error: 'must be a share between 0 and 1' })
    .lt(1, { error: 'must be a share between 0 and 1' })
    .optional(),
});

const archiveRef = z.object({ key: z.string().min(1), versionId: z.string().optional() });

const restoreEventShape = {
  archive: archiveRef,
  target: z.string().min(1),
  ...eventShape(RESTORE_OPTIONS, RESTORE_GROUPS),
};

/**
 * The state machine's `request`: which archive, which instance, and the restore options every edge
 * accepts (the core's schema; `projectMap` comes out as a Map). Strict: a misspelt option
 * (`activation: false`) would otherwise be dropped and the restore publish every workflow.
 */
export const restoreEventSchema = z.strictObject(restoreEventShape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; a restore event takes ${Object.keys(restoreEventShape).join(', ')}`
      : undefined,
});

export const verifyEventSchema = z.union([
  z.object({
    archive: archiveRef,
    /** After a restore (the state machine passes its request): compare the archive with this instance. */
    target: z.string().min(1).optional(),
    only: restoreOptionsSchema.shape.only,
  }),
  z.object({ instance: z.string().min(1) }),
]);

export interface Composition {
  env: Environment;
  logger: Logger;
  s3: S3Client;
  store: S3ArchiveStore;
  /** The n8n client for an instance, from its secret (read once per call, never logged). */
  n8n(instance: string): Promise<N8nHttpClient>;
  /**
   * Credential secrets for a restore into `target` from `sm://<prefix>`: refused unless the prefix is
   * the one configured for that target (the only one the function may read).
   */
  credentialSecrets(target: string, uri: string): SecretSource;
}

export function compose(processEnv: NodeJS.ProcessEnv): Composition {
  const env = parseAtEdge(environmentSchema, processEnv, 'Lambda environment');
  const logger = createJsonLogger(env.LOG_LEVEL);
  const s3 = new S3Client({ forcePathStyle: env.N8N_ARK_S3_FORCE_PATH_STYLE === 'true' });
  const secrets = new SecretsManagerSecretSource(new SecretsManagerClient({}));
  const store = new S3ArchiveStore({
    client: s3,
    bucket: env.ARCHIVE_BUCKET,
    prefix: env.ARCHIVE_PREFIX,
    ...(env.KMS_KEY_ID ? { kmsKeyId: env.KMS_KEY_ID } : {}),
  });
  return {
    env,
    logger,
    s3,
    store,
    async n8n(instance) {
      const secretName = env.INSTANCES[instance];
      if (!secretName) {
        throw new UsageError(
          `unknown instance "${instance}"; configured: ${Object.keys(env.INSTANCES).join(', ') || 'none'}`,
        );
      }
      const { url, apiKey } = await readInstanceSecret(secrets, secretName);
      return new N8nHttpClient({ baseUrl: url, apiKey, logger });
    },
    credentialSecrets(target, uri) {
      const allowed = env.CREDENTIAL_SECRETS[target];
      if (allowed === undefined)
        throw new UsageError(
          `invalid restore event: credentialSecrets: restores into "${target}" may not read credential secrets: set "credentialSecrets": "sm://<prefix>" on instance "${target}" in cdk.json and deploy`,
        );
      if (uri !== allowed)
        throw new UsageError(
          `invalid restore event: credentialSecrets: restores into "${target}" may read credential secrets from ${allowed} only (cdk.json), not ${uri}`,
        );
      return new PrefixedSecretSource(secrets, uri.slice('sm://'.length));
    },
  };
}

const ruleCount = z.number().int().min(0).optional();

/**
 * The prune schedule's event: whose archives, and how many periods each rule keeps (the same
 * counts as `n8n-ark prune --keep-*`; the core refuses a policy that keeps nothing).
 */
export const pruneEventSchema = z.object({
  instance: z.string().min(1),
  keep: z.strictObject({ last: ruleCount, daily: ruleCount, weekly: ruleCount, monthly: ruleCount }),
  dryRun: z.boolean().optional(),
});
