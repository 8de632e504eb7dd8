import {
  alarmPublishers,
  CLOUDWATCH,
  eventRulePublishers,
  hasSourceCondition,
  servicesOf,
  topicPolicies,
} from './publishers.js';
import {
  actionCovers,
  asList,
  type CfnTemplate,
  type PolicyStatementJson,
  type RuleFinding,
  resourcesOfType,
  type TemplateRule,
} from './template.js';

const publishes = (statement: PolicyStatementJson): boolean =>
  asList(statement.Action).some((pattern) => actionCovers(pattern, 'sns:Publish'));

/** A Deny that only refuses plain HTTP (`aws:SecureTransport` false): services publish over TLS. */
const onlyRefusesPlainHttp = (statement: PolicyStatementJson): boolean => {
  const operators = Object.entries(statement.Condition ?? {});
  return (
    operators.length === 1 &&
    operators[0]?.[0] === 'Bool' &&
    Object.entries(operators[0][1]).every(
      ([key, value]) => key.toLowerCase() === 'aws:securetransport' && String(value) === 'false',
    )
  );
};

const namesServiceOrEveryone = (statement: PolicyStatementJson, service: string): boolean =>
  statement.Principal === '*' ||
  servicesOf(statement).includes(service) ||
  asList((statement.Principal as { AWS?: unknown } | undefined)?.AWS).includes('*');

/**
 * What stops `service` from publishing through the topic's policies, or undefined. Without a topic
 * policy SNS's default one applies: it lets this account's CloudWatch alarms publish, not EventBridge.
 */
function policyProblem(policies: PolicyStatementJson[][], service: string): string | undefined {
  const statements = policies.flat();
  if (statements.length === 0)
    return service === CLOUDWATCH
      ? undefined
      : `the topic has no topic policy, and SNS's default policy does not let ${service} publish`;
  const denies = statements.filter(
    (s) =>
      s.Effect === 'Deny' && publishes(s) && namesServiceOrEveryone(s, service) && !onlyRefusesPlainHttp(s),
  );
  if (denies.length > 0) return `the topic policy denies sns:Publish to ${service}`;
  const allows = statements.filter(
    (s) => s.Effect === 'Allow' && publishes(s) && servicesOf(s).includes(service),
  );
  if (allows.length === 0)
    return `the topic policy (which replaces SNS's default policy) does not allow ${service} sns:Publish, so it cannot publish`;
  if (!allows.some(hasSourceCondition))
    return `the topic policy lets ${service} publish without an aws:SourceAccount or aws:SourceArn condition (confused deputy)`;
  return undefined;
}

function checkTopic(template: CfnTemplate, topic: string): RuleFinding[] {
  const policies = topicPolicies(template, topic);
  const services = [...alarmPublishers(template, topic), ...eventRulePublishers(template, topic)].filter(
    (p) => p.kind === 'service',
  );
  const seen = new Set<string>();
  return services.flatMap((publisher) => {
    if (publisher.kind !== 'service' || seen.has(publisher.service)) return [];
    seen.add(publisher.service);
    const problem = policyProblem(
      policies.map((p) => p.statements),
      publisher.service,
    );
    return problem ? [{ resource: topic, location: `publisher ${publisher.via}`, problem }] : [];
  });
}

/**
 * Every SNS topic an alarm or an EventBridge rule publishes to lets that service publish: a topic
 * policy replaces SNS's default policy, so once one exists (enforceSSL makes one) it must allow
 * cloudwatch.amazonaws.com (and events.amazonaws.com) sns:Publish itself, conditioned on the source.
 * Without it every alarm action fails with "not authorized to perform SNS:Publish", silently.
 */
export const topicPolicyPublishers: TemplateRule = {
  id: 'N8nArk-TopicPolicyPublishers',
  description:
    'Every service that publishes to an SNS topic (alarms, EventBridge rules) is allowed to by the topic policy.',
  fix: 'Add to the topic policy an Allow of sns:Publish for cloudwatch.amazonaws.com (aws:SourceAccount and aws:SourceArn of the stack’s alarms) and for events.amazonaws.com (aws:SourceArn of the rule).',
  check: (template) =>
    resourcesOfType(template, 'AWS::SNS::Topic').flatMap(([id]) => checkTopic(template, id)),
};
