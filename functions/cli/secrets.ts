import { secretsFromJsonFile } from '../adapters/secrets-file.js';
import { InvalidOptionError } from '../core/errors.js';
import type { SecretSource } from '../core/ports.js';

/**
 * Where credential data for hydrating stubs comes from (--credential-secrets): `sm://<prefix>` reads
 * AWS Secrets Manager secrets named `<prefix>/<credential id>`; anything else is a JSON file. The
 * Secrets Manager adapter (and the AWS SDK behind it) is loaded only when asked for.
 */
export async function credentialSecretSource(value: string): Promise<SecretSource> {
  if (!value.startsWith('sm://')) return secretsFromJsonFile(value);
  const prefix = value.slice('sm://'.length);
  if (!prefix)
    throw new InvalidOptionError(
      'credentialSecrets',
      'sm://<prefix> needs a prefix, e.g. sm://n8n-ark/credentials',
    );
  const [{ SecretsManagerClient }, { PrefixedSecretSource, SecretsManagerSecretSource }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../adapters/secrets-manager.js'),
  ]);
  return new PrefixedSecretSource(new SecretsManagerSecretSource(new SecretsManagerClient({})), prefix);
}
