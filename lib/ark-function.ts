import { type Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundleDirectory, type HandlerName } from './bundles.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { logicalIdOf } from './logical-id.js';

/** Where the functions run when the deployment has a `vpc` (lib/network.ts). */
export interface FunctionNetwork {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  securityGroups: ec2.ISecurityGroup[];
}

export interface ArkFunctionProps {
  /** Handler file name in functions/handlers, without extension; its bundle is prebuilt (lib/bundles.ts). */
  handler: HandlerName;
  environment: Record<string, string>;
  memorySize: number;
  timeout: Duration;
  network?: FunctionNetwork;
}

/**
 * One n8n-ark Lambda. Defaults it applies: Node.js 24 on arm64; the prebuilt bundle of its handler
 * (AWS SDK inside, class names kept, source map), so deploying needs no esbuild; its own log group
 * kept 90 days; X-Ray tracing; a role of its own with nothing but writing that log group, X-Ray and
 * (in a VPC) its network interfaces — every other permission is granted by the construct that uses
 * the function; a dead-letter queue (KMS-encrypted, TLS only, 14 days) for failed asynchronous
 * invocations; reserved concurrency unset; a young generation capped at 8 MB (same as the CLI).
 */
export class ArkFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  private invoker?: iam.Role;

  constructor(scope: Construct, id: string, props: ArkFunctionProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', {
      of: 'the function and its schedules',
      unseenBy: ['Serverless-SQSRedrivePolicy'],
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.role = this.functionRole(logGroup, props.network !== undefined);
    this.fn = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(bundleDirectory(props.handler)),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: this.deadLetterQueue,
      environment: { NODE_OPTIONS: '--max-semi-space-size=8 --enable-source-maps', ...props.environment },
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: props.network.securityGroups,
          }
        : {}),
    });
  }

  private functionRole(logGroup: logs.LogGroup, inVpc: boolean): iam.Role {
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) has no resource-level permissions.',
    });
    if (inVpc) {
      role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          "Lambda creates and removes the function's network interfaces in the VPC with it; AWS keeps its list of EC2 actions current.",
      });
    }
    return role;
  }

  /**
   * The role EventBridge Scheduler invokes this function with (one per function, made on first use):
   * it may invoke this function, any version of it, and nothing else.
   */
  schedulerRole(): iam.Role {
    if (this.invoker) return this.invoker;
    this.invoker = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    Validations.of(this.invoker).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.fn)}.Arn>:*]`,
      reason: 'EventBridge Scheduler invokes this function (any version of it), and nothing else.',
    });
    return this.invoker;
  }
}
