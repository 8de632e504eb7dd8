import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The logical id of a construct's CloudFormation resource, as cdk-nag names it in finding ids (`<Id.Arn>`). */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement;
  return resource.stack.resolve(resource.logicalId) as string;
}
