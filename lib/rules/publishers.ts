/**
 * Who publishes to an SNS topic, read from a template: CloudWatch for every alarm whose actions
 * name the topic, EventBridge for every rule target that is the topic (or the target's role, when
 * it publishes with one), the services a topic policy allows, and every role whose policy allows
 * sns:Publish on it.
 */
import { coversResource, roleStatements } from './roles.js';
import {
  allowsActions,
  asList,
  type CfnTemplate,
  type PolicyStatementJson,
  referencedId,
  resourcesOfType,
  statementsOf,
} from './template.js';

export type Publisher =
  | { kind: 'service'; service: string; via: string }
  | { kind: 'role'; role: string; via: string };

const ALARM_ACTIONS = ['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const;
export const CLOUDWATCH = 'cloudwatch.amazonaws.com';
export const EVENTS = 'events.amazonaws.com';
const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn'];

const topicOf = (value: unknown, topic: string): boolean => referencedId(value) === topic;

export function alarmPublishers(template: CfnTemplate, topic: string): Publisher[] {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .filter(([, alarm]) =>
      ALARM_ACTIONS.some((field) =>
        asList(alarm.Properties?.[field] as unknown[]).some((a) => topicOf(a, topic)),
      ),
    )
    .map(([id]) => ({ kind: 'service', service: CLOUDWATCH, via: id }));
}

export function eventRulePublishers(template: CfnTemplate, topic: string): Publisher[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([id, rule]) =>
    asList(rule.Properties?.Targets as { Arn?: unknown; RoleArn?: unknown }[])
      .filter((target) => topicOf(target.Arn, topic))
      .map((target): Publisher => {
        const role = referencedId(target.RoleArn);
        return role ? { kind: 'role', role, via: id } : { kind: 'service', service: EVENTS, via: id };
      }),
  );
}

/** The statements of every topic policy (AWS::SNS::TopicPolicy) that applies to the topic. */
export function topicPolicies(
  template: CfnTemplate,
  topic: string,
): { id: string; statements: PolicyStatementJson[] }[] {
  return resourcesOfType(template, 'AWS::SNS::TopicPolicy')
    .filter(([, policy]) => asList(policy.Properties?.Topics as unknown[]).some((t) => topicOf(t, topic)))
    .map(([id, policy]) => ({ id, statements: statementsOf(policy.Properties?.PolicyDocument) }));
}

export const servicesOf = (statement: PolicyStatementJson): string[] =>
  asList((statement.Principal as { Service?: string | string[] } | undefined)?.Service);

export function topicPolicyPublishers(template: CfnTemplate, topic: string): Publisher[] {
  return topicPolicies(template, topic).flatMap(({ id, statements }) =>
    statements
      .filter((s) => allowsActions(s, ['sns:Publish']))
      .flatMap(servicesOf)
      .map((service): Publisher => ({ kind: 'service', service, via: id })),
  );
}

export function rolePublishers(template: CfnTemplate, topic: string): Publisher[] {
  return [...roleStatements(template)].flatMap(([role, statements]) =>
    statements
      .filter(
        ({ statement }) => allowsActions(statement, ['sns:Publish']) && coversResource(statement, topic),
      )
      .slice(0, 1)
      .map(({ via }): Publisher => ({ kind: 'role', role, via })),
  );
}

/** Whether a statement is conditioned on its caller's source (aws:SourceAccount or aws:SourceArn). */
export const hasSourceCondition = (statement: PolicyStatementJson): boolean =>
  Object.values(statement.Condition ?? {}).some((operator) =>
    Object.keys(operator).some((key) => SOURCE_KEYS.includes(key.toLowerCase())),
  );
