/**
 * The CDK app as `cdk synth` makes it from cdk.json (lib/n8n-ark-stack.ts, the n8nArk config, the
 * feature flags), synthesized into a cloud assembly of its own: its template and, for each Lambda
 * function, the bundle CDK staged as its asset (dist/lambda/<handler>/ copied, what a deploy
 * uploads). References are resolved as the account would resolve them: functions and topics by
 * made-up ARNs, the archive bucket (and its key) as the test says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { N8nArkConfig } from '../../../lib/config/index.js';
import { N8nArkStack } from '../../../lib/n8n-ark-stack.js';
import { cdkContext } from '../../infra/support/synth.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface DeployedFunction {
  logicalId: string;
  /** The staged bundle's entry (index.js in the asset directory). */
  bundle: string;
  /** Its environment with references left for `resolve`. */
  environment: Record<string, unknown>;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface DeployedApp {
  directory: string;
  resources: Record<string, Resource>;
  functions: Map<string, DeployedFunction>;
  /** A state machine's definition (ASL), references resolved, by logical id. */
  machine(logicalId: string): Record<string, unknown>;
  /** The logical id of the one resource of `type` whose id starts with `prefix`. */
  idOf(type: string, prefix: string): string;
  /** The ARN a function is known by, and back. */
  functionArn(logicalId: string): string;
  functionOf(arn: string): DeployedFunction;
  remove(): void;
}

/** Synthesizes the app with cdk.json's config (or `config`), into a directory of its own. */
export function deployedApp(config: N8nArkConfig = cdkContext().n8nArk): DeployedApp {
  const directory = mkdtempSync(join(tmpdir(), 'n8n-ark-assembly-'));
  // As the CDK CLI sets it: each function names its staged asset (the bundle a deploy uploads).
  const context = { ...cdkContext().flags, 'aws:cdk:enable-asset-metadata': true };
  const app = new App({ context, outdir: directory });
  new N8nArkStack(app, 'N8nArk', { config });
  const assembly = app.synth();
  const artifact = assembly.getStackByName('N8nArk');
  const resources = (artifact.template as { Resources: Record<string, Resource> }).Resources;
  const functions = new Map<string, DeployedFunction>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const asset = resource.Metadata?.['aws:asset:path'];
    if (typeof asset !== 'string') continue;
    const props = resource.Properties ?? {};
    functions.set(logicalId, {
      logicalId,
      bundle: join(directory, asset, 'index.js'),
      environment: (props.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {},
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMb: Number(props.MemorySize ?? 128),
    });
  }
  const functionArn = (id: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
  const references = (id: string, attribute?: string): string => {
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::Region') return REGION;
    if (id === 'AWS::AccountId') return ACCOUNT;
    const type = resources[id]?.Type;
    if (type === 'AWS::Lambda::Function') return functionArn(id);
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    return `${id}${attribute ? `.${attribute}` : ''}`;
  };
  return {
    directory,
    resources,
    functions,
    machine(logicalId) {
      const definition = resources[logicalId]?.Properties?.DefinitionString;
      return JSON.parse(String(resolve(definition, references)));
    },
    idOf(type, prefix) {
      const ids = Object.keys(resources).filter(
        (id) => resources[id]?.Type === type && id.startsWith(prefix),
      );
      if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}…, found ${ids.join(', ')}`);
      return ids[0] as string;
    },
    functionArn,
    functionOf(arn) {
      const fn = functions.get(arn.split(':').at(-1) ?? '');
      if (!fn) throw new Error(`no function ${arn} in the template`);
      return fn;
    },
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** A template value with Ref, Fn::GetAtt and Fn::Join resolved through `references`. */
export function resolve(value: unknown, references: (id: string, attribute?: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, references));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return references(String(object.Ref));
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    return references(id, attribute);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, references)).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v, references)]));
}
