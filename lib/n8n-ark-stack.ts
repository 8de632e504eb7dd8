import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { N8nArkConfig } from './config/index.js';
import { N8nArk } from './n8n-ark.js';

export interface N8nArkStackProps extends StackProps {
  /** The `n8nArk` context of cdk.json, as written (N8nArk validates it). */
  config: N8nArkConfig;
}

/**
 * The default app's stack: the N8nArk construct and nothing else. Its id is `Default`, which CDK
 * leaves out of logical ids, so the resources keep the ids they had when the stack built them itself.
 */
export class N8nArkStack extends Stack {
  readonly ark: N8nArk;

  constructor(scope: Construct, id: string, props: N8nArkStackProps) {
    super(scope, id, props);
    this.ark = new N8nArk(this, 'Default', props.config);
  }
}
