/**
 * `n8n-ark/cdk`: n8n-ark as a construct for your own CDK app.
 *
 *   import { N8nArk, N8nArkChecks } from 'n8n-ark/cdk';
 *   new N8nArk(stack, 'Ark', { instances: [{ name: 'prod', secretName: 'n8n-ark/prod' }] });
 *   Validations.of(app).addPlugins(new N8nArkChecks());   // n8n-ark's own rule pack, beside cdk-nag
 */
export type { ArkConfig, N8nArkConfig, N8nArkInstanceConfig } from './config/index.js';
export { parseConfig } from './config/index.js';
export { ARCHIVE_PREFIX, type ArkFunctions, METRIC_NAMESPACE, N8nArk } from './n8n-ark.js';
export { N8nArkStack, type N8nArkStackProps } from './n8n-ark-stack.js';
export { N8N_ARK_RULES, N8nArkChecks } from './rules/pack.js';
