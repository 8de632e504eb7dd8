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
