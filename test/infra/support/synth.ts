/** The infra tests' one way to build the stack: the flags cdk.json sets, a config as written. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { N8nArkConfig } from '../../../lib/config/index.js';
import { N8nArkStack } from '../../../lib/n8n-ark-stack.js';
import type { CfnTemplate } from '../../../lib/rules/template.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** A cdk.json's context: the `n8nArk` config and the feature flags beside it. */
export function cdkContext(file = join(ROOT, 'cdk.json')): {
  n8nArk: N8nArkConfig;
  flags: Record<string, unknown>;
} {
  const { context } = JSON.parse(readFileSync(file, 'utf8')) as { context: Record<string, unknown> };
  const { n8nArk, ...flags } = context;
  return { n8nArk: n8nArk as N8nArkConfig, flags };
}

export interface Synthesized {
  app: App;
  stack: N8nArkStack;
  template: Template;
  json: CfnTemplate;
}

export function synthesize(
  config: N8nArkConfig,
  context: Record<string, unknown> = cdkContext().flags,
): Synthesized {
  const app = new App({ context });
  const stack = new N8nArkStack(app, 'N8nArk', { config });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as CfnTemplate };
}

/** cdk-nag's AwsSolutions and Serverless findings left unacknowledged in the app, one line each. */
export function nagViolations(app: App): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.map((v) => `${v.ruleName} ${JSON.stringify(v.violatingResources ?? v).slice(0, 300)}`),
  );
}

/** The logical ids of a type's resources whose id starts with `prefix`. */
export const idsOf = (template: Template, type: string, prefix = ''): string[] =>
  Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));

/** Every statement of the identity policies attached to a role (by logical id). */
export function roleStatementsOf(template: Template, role: string): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}
