/**
 * A synthesized CloudFormation template as the rules read it, and the small readers they share.
 * Rules work on the template (what CloudFormation gets), not on constructs, so they judge what is
 * deployed whatever construct produced it.
 */
export interface CfnResourceJson {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResourceJson>;
}

export interface PolicyStatementJson {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** One thing a rule found wrong: the resource, where in it, and what to do. */
export interface RuleFinding {
  resource: string;
  location: string;
  problem: string;
}

export interface TemplateRule {
  id: string;
  description: string;
  fix: string;
  check(template: CfnTemplate): RuleFinding[];
}

/** The logical id a `Ref` or `Fn::GetAtt` points at; undefined for anything else. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** A value as a reader would write it: `Fn::Join` flattened, references as `<Name>`. */
export function readable(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (join) return join[1].map(readable).join(join[0]);
  const id = referencedId(value);
  return id ? `<${id}>` : JSON.stringify(value);
}

export const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Whether an IAM action pattern (`kms:*`, `kms:GenerateDataKey*`) covers an action. */
export function actionCovers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(action);
}

export function allowsActions(statement: PolicyStatementJson, actions: readonly string[]): boolean {
  const patterns = asList(statement.Action);
  return (
    statement.Effect === 'Allow' && actions.every((a) => patterns.some((pattern) => actionCovers(pattern, a)))
  );
}

/** The statements of a policy document as written in a template. */
export function statementsOf(document: unknown): PolicyStatementJson[] {
  const statement = (document as { Statement?: unknown } | undefined)?.Statement;
  return asList(statement as PolicyStatementJson | PolicyStatementJson[] | undefined);
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResourceJson][] {
  return Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
}
