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

const ALARM_ACTIONS = ['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const;
/** Services whose key grant must name the source (confused deputy); EventBridge's KMS calls carry no source. */
const SOURCE_CONDITIONED = new Set(['cloudwatch.amazonaws.com']);
const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn'];

type Publisher =
  | { kind: 'service'; service: string; via: string }
  | { kind: 'role'; role: string; via: string };

interface TopicKey {
  topic: string;
  /** Logical id of the key in this template, or the key as written when it is not one. */
  key: string;
  keyPolicy?: PolicyStatementJson[];
}

const topicOf = (value: unknown, topic: string): boolean => referencedId(value) === topic;

function alarmPublishers(template: CfnTemplate, topic: string): Publisher[] {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .filter(([, alarm]) =>
      ALARM_ACTIONS.some((field) =>
        asList(alarm.Properties?.[field] as unknown[]).some((a) => topicOf(a, topic)),
      ),
    )
    .map(([id]) => ({ kind: 'service', service: 'cloudwatch.amazonaws.com', via: id }));
}

function topicPolicyPublishers(template: CfnTemplate, topic: string): Publisher[] {
  return resourcesOfType(template, 'AWS::SNS::TopicPolicy')
    .filter(([, policy]) => asList(policy.Properties?.Topics as unknown[]).some((t) => topicOf(t, topic)))
    .flatMap(([id, policy]) =>
      statementsOf(policy.Properties?.PolicyDocument)
        .filter((s) => allowsActions(s, ['sns:Publish']))
        .flatMap((s) => asList((s.Principal as { Service?: string | string[] } | undefined)?.Service))
        .map((service): Publisher => ({ kind: 'service', service, via: id })),
    );
}

/** Every role's identity-policy statements: inline, attached policies and managed policies. */
function roleStatements(
  template: CfnTemplate,
): Map<string, { via: string; statement: PolicyStatementJson }[]> {
  const byRole = new Map<string, { via: string; statement: PolicyStatementJson }[]>();
  const add = (role: string, via: string, document: unknown) => {
    const list = byRole.get(role) ?? [];
    for (const statement of statementsOf(document)) list.push({ via, statement });
    byRole.set(role, list);
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'])
    for (const [id, policy] of resourcesOfType(template, type))
      for (const role of asList(policy.Properties?.Roles as unknown[]).map(referencedId))
        if (role) add(role, id, policy.Properties?.PolicyDocument);
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role'))
    for (const inline of asList(role.Properties?.Policies as { PolicyDocument?: unknown }[]))
      add(id, id, inline.PolicyDocument);
  return byRole;
}

const coversResource = (statement: PolicyStatementJson, id: string): boolean =>
  asList(statement.Resource).some((r) => r === '*' || referencedId(r) === id);

function rolePublishers(template: CfnTemplate, topic: string): Publisher[] {
  return [...roleStatements(template)].flatMap(([role, statements]) =>
    statements
      .filter(
        ({ statement }) => allowsActions(statement, ['sns:Publish']) && coversResource(statement, topic),
      )
      .slice(0, 1)
      .map(({ via }): Publisher => ({ kind: 'role', role, via })),
  );
}

const hasSourceCondition = (statement: PolicyStatementJson): boolean =>
  Object.values(statement.Condition ?? {}).some((operator) =>
    Object.keys(operator).some((key) => SOURCE_KEYS.includes(key.toLowerCase())),
  );

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

function checkTopic(template: CfnTemplate, topic: string, masterKey: unknown): RuleFinding[] {
  const key = topicKey(template, topic, masterKey);
  const byRole = roleStatements(template);
  const publishers = [
    ...alarmPublishers(template, topic),
    ...topicPolicyPublishers(template, topic),
    ...rolePublishers(template, topic),
  ];
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
 * Every encrypted SNS topic that an alarm, a topic policy or a role publishes to lets that
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
