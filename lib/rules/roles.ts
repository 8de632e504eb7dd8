import {
  asList,
  type CfnTemplate,
  type PolicyStatementJson,
  referencedId,
  resourcesOfType,
  statementsOf,
} from './template.js';

export interface RoleStatement {
  /** The logical id of the policy (or role) the statement is written in. */
  via: string;
  statement: PolicyStatementJson;
}

/** Every role's identity-policy statements: inline, attached policies and managed policies. */
export function roleStatements(template: CfnTemplate): Map<string, RoleStatement[]> {
  const byRole = new Map<string, RoleStatement[]>();
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

/** Whether a value refers to the resource `id` anywhere inside it (a Ref, a GetAtt, a Join of them). */
export function mentions(value: unknown, id: string): boolean {
  if (referencedId(value) === id) return true;
  if (Array.isArray(value)) return value.some((v) => mentions(v, id));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => mentions(v, id));
  return false;
}

/** Whether a statement's resources include the resource `id` (by reference, or every resource). */
export const coversResource = (statement: PolicyStatementJson, id: string): boolean =>
  asList(statement.Resource).some((r) => r === '*' || mentions(r, id));
