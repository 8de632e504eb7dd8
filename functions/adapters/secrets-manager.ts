import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { SecretError } from '../core/errors.js';
import type { SecretSource } from '../core/ports.js';

/** Secrets from AWS Secrets Manager, by name or ARN. Values are returned, never logged. */
export class SecretsManagerSecretSource implements SecretSource {
  constructor(private readonly client: SecretsManagerClient) {}

  async get(name: string): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      return answer.SecretString;
    } catch (error) {
      if (
        error instanceof ResourceNotFoundException ||
        (error as { name?: string }).name === 'ResourceNotFoundException'
      ) {
        return undefined;
      }
      throw new SecretError(
        `could not read the secret ${name}: ${(error as Error).name}`,
        { secretName: name },
        {
          cause: error,
        },
      );
    }
  }
}

/** Reads credential data for restore hydration from `<prefix>/<credential id>` (the `sm://<prefix>` form). */
export class PrefixedSecretSource implements SecretSource {
  constructor(
    private readonly inner: SecretSource,
    private readonly prefix: string,
  ) {}

  get(name: string): Promise<string | undefined> {
    return this.inner.get(`${this.prefix.replace(/\/+$/, '')}/${name}`);
  }
}

const instanceSecretSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1),
});

export type InstanceSecret = z.infer<typeof instanceSecretSchema>;

/**
 * An instance's connection secret: JSON `{ "url": …, "apiKey": … }`. Every error names the secret
 * and what is wrong with its shape, never its value.
 */
export async function readInstanceSecret(source: SecretSource, secretName: string): Promise<InstanceSecret> {
  const raw = await source.get(secretName);
  if (raw === undefined) throw instanceSecretError(secretName, 'does not exist; create it with');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw instanceSecretError(secretName, 'is not JSON; it must hold');
  }
  const parsed = instanceSecretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
    throw misshapedInstanceSecret(secretName, fields);
  }
  return parsed.data;
}

/** An instance secret that is not there or not JSON (`problem`, then the shape it must have). */
function instanceSecretError(secretName: string, problem: string): SecretError {
  return new SecretError(`the secret ${secretName} ${problem} {"url": …, "apiKey": …}`, { secretName });
}

function misshapedInstanceSecret(secretName: string, fields: string): SecretError {
  return new SecretError(
    `the secret ${secretName} must hold {"url": "https://…", "apiKey": "…"}; wrong or missing: ${fields}`,
    { secretName },
  );
}

/** An archive key as a secret holds it: an age identity file's text, or a passphrase. */
export type ArchiveKeySecret = { identity: string } | { passphrase: string };

const archiveKeySecretSchema = z.union([
  z.strictObject({ identity: z.string().min(1) }),
  z.strictObject({ passphrase: z.string().min(1) }),
]);

/**
 * The archives' key (`encryption.secretName` in the CDK config): JSON `{"identity": "AGE-SECRET-KEY-1…"}`
 * (an identity file's text: several lines are several identities) or `{"passphrase": "…"}`. Every
 * error names the secret and the shape it must have, never its value.
 */
export async function readArchiveKeySecret(
  source: SecretSource,
  secretName: string,
): Promise<ArchiveKeySecret> {
  const raw = await source.get(secretName);
  const shape = '{"identity": "AGE-SECRET-KEY-1…"} or {"passphrase": "…"}';
  if (raw === undefined)
    throw new SecretError(`the archive key secret ${secretName} does not exist; create it with ${shape}`, {
      secretName,
    });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SecretError(`the archive key secret ${secretName} is not JSON; it must hold ${shape}`, {
      secretName,
    });
  }
  const parsed = archiveKeySecretSchema.safeParse(json);
  if (!parsed.success)
    throw new SecretError(`the archive key secret ${secretName} must hold ${shape}`, { secretName });
  return parsed.data;
}
