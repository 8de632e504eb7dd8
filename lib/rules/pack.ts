import { readFileSync } from 'node:fs';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { encryptedTopicPublishers } from './encrypted-topic-publishers.js';
import type { CfnTemplate, RuleFinding, TemplateRule } from './template.js';
import { topicPolicyPublishers } from './topic-policy-publishers.js';
import { writersCannotErase } from './writers-cannot-erase.js';

/**
 * n8n-ark's own rules: what cdk-nag's packs do not know and a deployment of it needs. Alarms reach
 * the topic (its policy, its key, every publisher's role); the roles that write archives cannot erase.
 */
export const N8N_ARK_RULES: readonly TemplateRule[] = [
  topicPolicyPublishers,
  encryptedTopicPublishers,
  writersCannotErase,
];

/** Every rule's findings on one template, by rule id. */
export function checkTemplate(
  template: CfnTemplate,
  rules: readonly TemplateRule[] = N8N_ARK_RULES,
): { rule: TemplateRule; findings: RuleFinding[] }[] {
  return rules
    .map((rule) => ({ rule, findings: rule.check(template) }))
    .filter(({ findings }) => findings.length > 0);
}

/**
 * The rule pack as a CDK validation plugin (`Validations.of(app).addPlugins(new N8nArkChecks())`,
 * beside cdk-nag's packs): it reads each synthesized template and fails the synth on a finding.
 */
export class N8nArkChecks implements IPolicyValidationPlugin {
  readonly name = 'n8n-ark';
  readonly ruleIds = N8N_ARK_RULES.map((rule) => rule.id);

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = context.templatePaths.flatMap((templatePath) => {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
      // One violation per finding: the synth's report prints a violation's description, and each
      // finding's problem (which publisher, which key, what to grant) is what the reader needs.
      return checkTemplate(template).flatMap(({ rule, findings }) =>
        findings.map((f) => ({
          ruleName: rule.id,
          description: `${f.problem} (${f.location})`,
          fix: rule.fix,
          violatingResources: [{ resourceLogicalId: f.resource, templatePath, locations: [f.location] }],
        })),
      );
    });
    return { success: violations.length === 0, violations };
  }
}
