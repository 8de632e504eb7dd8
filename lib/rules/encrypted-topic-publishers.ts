import {
  alarmPublishers,
  CLOUDWATCH,
  eventRulePublishers,
  hasSourceCondition,
  type Publisher,
  rolePublishers,
  topicPolicyPublishers,
} from './publishers.js';
import { coversResource, roleStatements } from './roles.js';
import {
  allowsActions,
  asList,
  type CfnTemplate,
  type PolicyStatementJson,
  type RuleFinding,
  readable,
  referencedId,
  resourcesOfType,
  statementsOf,
  type TemplateRule,
} from './template.js';

/** The KMS calls SNS makes for a publisher of a topic encrypted with a customer-managed key. */
export const PUBLISHER_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** Services whose key grant must name the source (confused deputy); EventBridge's KMS calls carry no source. */
const SOURCE_CONDITIONED = new Set([CLOUDWATCH]);

interface TopicKey {
  topic: string;
  /** Logical id of the key in this template, or the key as written when it is not one. */
  key: string;
  keyPolicy?: PolicyStatementJson[];
}

const namesService = (statement: PolicyStatementJson, service: string): boolean =>
  asList((statement.Principal as { Service?: string | string[] } | undefined)?.Service).includes(service);

const namesRole = (statement: PolicyStatementJson, role: string): boolean =>
  asList((statement.Principal as { AWS?: unknown } | undefined)?.AWS).some((p) => referencedId(p) === role);

/** The default key policy: the account's root may use the key, so IAM policies can grant it. */
const delegatesToIam = (statement: PolicyStatementJson): boolean =>
  allowsActions(statement, PUBLISHER_KEY_ACTIONS) &&
  asList((statement.Principal as { AWS?: unknown } | undefined)?.AWS).some((p) =>
    JSON.stringify(p).includes(':root"'),
  );

function servicePublisherProblem(key: TopicKey, service: string): string | undefined {
  if (!key.keyPolicy)
    return `the topic's key ${key.key} is not a key of this stack, so its policy cannot give ${service} ${PUBLISHER_KEY_ACTIONS.join(' and ')} (an AWS-managed key never can)`;
  const grants = key.keyPolicy.filter(
    (s) => namesService(s, service) && allowsActions(s, PUBLISHER_KEY_ACTIONS),
  );
  if (grants.length === 0)
    return `the key policy of ${key.key} does not let ${service} ${PUBLISHER_KEY_ACTIONS.join(' and ')}, so it cannot publish to the encrypted topic`;
  if (SOURCE_CONDITIONED.has(service) && !grants.some(hasSourceCondition))
    return `the key policy of ${key.key} lets ${service} use the key without an aws:SourceAccount or aws:SourceArn condition (confused deputy)`;
  return undefined;
}

function rolePublisherProblem(
  key: TopicKey,
  role: string,
  statements: PolicyStatementJson[],
): string | undefined {
  if (!key.keyPolicy) return undefined; // AWS-managed or outside keys: IAM decides, as for any other action.
  if (key.keyPolicy.some((s) => namesRole(s, role) && allowsActions(s, PUBLISHER_KEY_ACTIONS)))
    return undefined;
  const iamGrant = statements.some(
    (s) => allowsActions(s, PUBLISHER_KEY_ACTIONS) && coversResource(s, key.key),
  );
  if (iamGrant && key.keyPolicy.some(delegatesToIam)) return undefined;
  return `role ${role} may publish to the topic but not ${PUBLISHER_KEY_ACTIONS.join(' and ')} on its key ${key.key}: grant it with topic.grantPublish`;
}

function topicKey(template: CfnTemplate, topic: string, masterKey: unknown): TopicKey {
  const id = referencedId(masterKey);
  const resource = id ? template.Resources?.[id] : undefined;
  if (id && resource?.Type === 'AWS::KMS::Key')
    return { topic, key: id, keyPolicy: statementsOf(resource.Properties?.KeyPolicy) };
  return { topic, key: readable(masterKey) };
}

/** One finding per publishing service or role (the first place it was found is named). */
function distinct(publishers: Publisher[]): Publisher[] {
  const seen = new Set<string>();
  return publishers.filter((p) => {
    const key = p.kind === 'service' ? `service:${p.service}` : `role:${p.role}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkTopic(template: CfnTemplate, topic: string, masterKey: unknown): RuleFinding[] {
  const key = topicKey(template, topic, masterKey);
  const byRole = roleStatements(template);
  const publishers = distinct([
    ...alarmPublishers(template, topic),
    ...eventRulePublishers(template, topic),
    ...topicPolicyPublishers(template, topic),
    ...rolePublishers(template, topic),
  ]);
  return publishers.flatMap((publisher) => {
    const problem =
      publisher.kind === 'service'
        ? servicePublisherProblem(key, publisher.service)
        : rolePublisherProblem(
            key,
            publisher.role,
            (byRole.get(publisher.role) ?? []).map((s) => s.statement),
          );
    return problem ? [{ resource: topic, location: `publisher ${publisher.via}`, problem }] : [];
  });
}

/**
 * Every encrypted SNS topic that an alarm, an EventBridge rule, a topic policy or a role publishes to lets that
 * publisher use its key: a service through the key policy (CloudWatch with source conditions), a
 * role through the key policy or an IAM grant the key policy honours. Without it CloudWatch and
 * SNS drop the message, and nothing at deploy time says so.
 */
export const encryptedTopicPublishers: TemplateRule = {
  id: 'N8nArk-EncryptedTopicPublishers',
  description:
    'Every publisher of a KMS-encrypted SNS topic (alarm, service, role) may use the topic key (kms:Decrypt, kms:GenerateDataKey*).',
  fix: 'Give the topic its own customer-managed key whose policy names each publishing service (cloudwatch.amazonaws.com with aws:SourceAccount/aws:SourceArn conditions), and grant publishing roles with topic.grantPublish.',
  check: (template) =>
    resourcesOfType(template, 'AWS::SNS::Topic')
      .filter(([, topic]) => topic.Properties?.KmsMasterKeyId !== undefined)
      .flatMap(([id, topic]) => checkTopic(template, id, topic.Properties?.KmsMasterKeyId)),
};
