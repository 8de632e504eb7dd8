/**
 * What a credential is created with: its secret from the operator's secret source when there is
 * one, else placeholder data n8n's schema for its type accepts (a stub, filled in later).
 */
import { SecretError } from '../../errors.js';
import type { CredentialMeta, Json, JsonObject } from '../../n8n-types.js';
import type { SecretSource } from '../../ports.js';

interface CredentialSchema {
  properties?: Record<string, { type?: string; enum?: Json[]; default?: Json }>;
  required?: string[];
  allOf?: {
    if?: { properties?: Record<string, { enum?: Json[]; const?: Json[]; not?: { const?: Json[] } }> };
    then?: { allOf?: { required?: string[] }[] };
    else?: { allOf?: { not?: { required?: string[] } }[] };
  }[];
}

/**
 * Placeholder `data` that n8n's schema for the credential type accepts, so a stub can be created
 * before its secret is known. n8n's schema (toJsonSchema in its public API) makes fields required
 * or forbidden depending on other fields' values (if/then/else), so required fields are filled and
 * the conditions re-evaluated until nothing changes.
 */
export function placeholderCredentialData(schema: JsonObject): JsonObject {
  const s = schema as unknown as CredentialSchema;
  const properties = s.properties ?? {};
  const data: JsonObject = {};
  const fill = (name: string) => {
    if (name in data) return;
    const property = properties[name] ?? {};
    data[name] =
      property.default !== undefined
        ? property.default
        : property.enum && property.enum.length > 0
          ? (property.enum[0] ?? '')
          : property.type === 'number'
            ? 0
            : property.type === 'boolean'
              ? false
              : property.type === 'object' || property.type === 'json'
                ? {}
                : '';
  };
  for (const name of s.required ?? []) fill(name);
  for (let round = 0; round < 16; round += 1) {
    const before = JSON.stringify(data);
    for (const condition of s.allOf ?? []) {
      const holds = Object.entries(condition.if?.properties ?? {}).every(([name, test]) => {
        // JSON Schema's `properties` only constrains fields that are present.
        if (!(name in data)) return true;
        const value = data[name];
        if (test.enum) return test.enum.some((v) => JSON.stringify(v) === JSON.stringify(value));
        if (test.const) return test.const.some((v) => JSON.stringify(v) === JSON.stringify(value));
        if (test.not?.const) return !test.not.const.some((v) => JSON.stringify(v) === JSON.stringify(value));
        return true;
      });
      if (holds)
        for (const part of condition.then?.allOf ?? []) for (const name of part.required ?? []) fill(name);
      else
        for (const part of condition.else?.allOf ?? [])
          for (const name of part.not?.required ?? []) delete data[name];
    }
    if (JSON.stringify(data) === before) break;
  }
  return data;
}

/** Credential data from the secret source, by id then by name; its value never reaches a message. */
export async function secretFor(
  secrets: SecretSource | undefined,
  credential: CredentialMeta,
): Promise<JsonObject | undefined> {
  if (!secrets) return undefined;
  for (const key of [credential.id, credential.name]) {
    const text = await secrets.get(key);
    if (text === undefined) continue;
    const where = `The secret for credential "${credential.name}" (looked up as ${JSON.stringify(key)})`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SecretError(`${where} is not JSON; it must be a JSON object of the credential's fields.`, {
        secretName: key,
      });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SecretError(`${where} must be a JSON object of the credential's fields.`, {
        secretName: key,
      });
    }
    return parsed as JsonObject;
  }
  return undefined;
}
