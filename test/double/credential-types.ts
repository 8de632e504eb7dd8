/**
 * The credential types the double knows, with the JSON schemas n8n 2.41.1 answers on
 * GET /credentials/schema/{type} (copied from a real instance), and n8n's validation of a
 * credential's `data` against them (the `jsonschema` package's messages, prefixed the way
 * credentials.utils.ts joins them).
 */
import type { JsonObject } from '../../functions/core/n8n-types.js';

interface PropertySchema {
  type: string;
  enum?: string[];
}

export interface CredentialSchema {
  additionalProperties: false;
  type: 'object';
  properties: Record<string, PropertySchema>;
  required: string[];
}

/** n8n adds these to every credential type usable by the HTTP Request node. */
const HTTP_DOMAINS: Record<string, PropertySchema> = {
  allowedHttpRequestDomains: { type: 'string', enum: ['all', 'domains', 'none'] },
  allowedDomains: { type: 'string' },
};

const schema = (properties: Record<string, PropertySchema>, required: string[] = []): CredentialSchema => ({
  additionalProperties: false,
  type: 'object',
  properties,
  required,
});

export const CREDENTIAL_TYPES: Record<string, CredentialSchema> = {
  httpHeaderAuth: schema({
    name: { type: 'string' },
    value: { type: 'string' },
    useCustomAuth: { type: 'notice' },
    ...HTTP_DOMAINS,
  }),
  httpBasicAuth: schema({ user: { type: 'string' }, password: { type: 'string' }, ...HTTP_DOMAINS }),
  httpQueryAuth: schema({ name: { type: 'string' }, value: { type: 'string' }, ...HTTP_DOMAINS }),
  slackApi: schema(
    {
      accessToken: { type: 'string' },
      signatureSecret: { type: 'string' },
      notice: { type: 'notice' },
      ...HTTP_DOMAINS,
    },
    ['accessToken'],
  ),
  githubApi: schema({
    server: { type: 'string' },
    user: { type: 'string' },
    accessToken: { type: 'string' },
    ...HTTP_DOMAINS,
  }),
  openAiApi: schema(
    {
      apiKey: { type: 'string' },
      organizationId: { type: 'string' },
      url: { type: 'string' },
      header: { type: 'boolean' },
      headerName: { type: 'string' },
      headerValue: { type: 'string' },
      ...HTTP_DOMAINS,
    },
    ['apiKey'],
  ),
  postgres: schema({
    host: { type: 'string' },
    database: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    maxConnections: { type: 'number' },
    allowUnauthorizedCerts: { type: 'boolean' },
    ssl: { type: 'string', enum: ['allow', 'disable', 'require'] },
    port: { type: 'number' },
    sshTunnel: { type: 'boolean' },
    sshAuthenticateWith: { type: 'string', enum: ['password', 'privateKey'] },
    sshHost: { type: 'string' },
    sshPort: { type: 'number' },
    sshUser: { type: 'string' },
    sshPassword: { type: 'string' },
    privateKey: { type: 'string' },
    passphrase: { type: 'string' },
  }),
};

const JSON_TYPES = new Set(['string', 'number', 'boolean', 'object', 'array', 'null', 'integer']);

/**
 * Problems with `data` for this type, as n8n words them ("request.body.data requires property
 * \"accessToken\""), joined with commas; undefined when valid. `partial` skips required fields
 * (PATCH with isPartialData).
 */
export function credentialDataProblems(type: string, data: JsonObject, partial = false): string | undefined {
  const definition = CREDENTIAL_TYPES[type];
  if (!definition) return undefined;
  // jsonschema checks keywords in the schema's order: additionalProperties, properties, required.
  const problems: string[] = [];
  for (const key of Object.keys(data)) {
    if (!definition.properties[key]) problems.push(`is not allowed to have the additional property "${key}"`);
  }
  for (const [key, property] of Object.entries(definition.properties)) {
    if (!(key in data)) continue;
    const value = data[key];
    // jsonschema ignores types it does not know (n8n's "notice" fields).
    if (JSON_TYPES.has(property.type) && !matchesType(value, property.type))
      problems.push(`is not of a type(s) ${property.type}`);
    else if (property.enum && !property.enum.includes(value as string))
      problems.push(`is not one of enum values: ${property.enum.join(',')}`);
  }
  if (!partial) {
    for (const key of definition.required) if (!(key in data)) problems.push(`requires property "${key}"`);
  }
  if (problems.length === 0) return undefined;
  return problems.map((problem) => `request.body.data ${problem}`).join(',');
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}
