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
import { readInstanceSecret, SecretsManagerSecretSource } from '../adapters/secrets-manager.js';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { restoreOptionsSchema } from '../core/restore/options.js';

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

/** `history`: newest saved versions kept per workflow (default 10, 0 keeps none), from the CDK config. */
export const backupEventSchema = z.object({
  instance: z.string().min(1),
  history: z.number().int().min(0).max(1000).optional(),
});

const archiveRef = z.object({ key: z.string().min(1), versionId: z.string().optional() });

/**
 * The state machine's `request`: which archive, which instance, and the restore options every edge
 * accepts (the core's schema; `projectMap` comes out as a Map).
 */
export const restoreEventSchema = z.object({
  archive: archiveRef,
  target: z.string().min(1),
  ...restoreOptionsSchema.shape,
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
