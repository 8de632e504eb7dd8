import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

const ROOT = join(import.meta.dirname, '..');

/** How every function is bundled; test/infra/bundle-size.test.ts bundles the same way to measure it. */
export const ARK_BUNDLING = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  target: 'node24',
  externalModules: ['@aws-sdk/*'],
} as const satisfies nodejs.BundlingOptions;

export interface ArkFunctionProps {
  /** Handler file name in functions/handlers, without extension. */
  handler: 'backup' | 'restore' | 'verify' | 'prune' | 'drill';
  environment: Record<string, string>;
  memorySize: number;
  timeout: Duration;
}

/**
 * One n8n-ark Lambda. Defaults it applies: Node.js 24 on arm64; bundled by the local esbuild
 * (no Docker), minified, with the AWS SDK left to the runtime; its own log group kept 90 days;
 * X-Ray tracing; a dead-letter queue (KMS-encrypted, TLS only) for failed asynchronous invocations;
 * reserved concurrency unset; a young generation capped at 8 MB (same as the CLI).
 */
export class ArkFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ArkFunctionProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'functions', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: this.deadLetterQueue,
      environment: { NODE_OPTIONS: '--max-semi-space-size=8 --enable-source-maps', ...props.environment },
      bundling: { ...ARK_BUNDLING, externalModules: [...ARK_BUNDLING.externalModules] },
    });
  }
}
