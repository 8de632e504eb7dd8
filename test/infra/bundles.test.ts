/**
 * The prebuilt Lambda bundles (`npm run build` → dist/lambda/, what the construct deploys and the
 * package carries): their size as docs/OPERATIONS.md states it, error class names kept (what a
 * state machine's Retry/Catch matches and an operator reads), and every Retry/Catch of the
 * synthesized state machines naming an error that exists.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../../functions/core/errors.js';
import { bundleDirectory, HANDLERS } from '../../lib/bundles.js';
import { cdkContext, ROOT, synthesize } from './support/synth.js';

const run = promisify(execFile);
const bundleText = (handler: (typeof HANDLERS)[number]) =>
  readFileSync(join(bundleDirectory(handler), 'index.js'), 'utf8');

/** The one place the docs state the bundle's size (the README links there). */
function documentedKb(): number {
  const operations = readFileSync(join(ROOT, 'docs', 'OPERATIONS.md'), 'utf8');
  const match = /the backup bundle is ([\d,]+) KB minified/.exec(operations);
  if (!match?.[1]) throw new Error('docs/OPERATIONS.md no longer states the backup bundle size');
  return Number(match[1].replaceAll(',', ''));
}

const ERROR_CLASSES = Object.entries(errors)
  .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
  .map(([name]) => name);

describe('the Lambda bundles', () => {
  it('the backup bundle (AWS SDK inside) is the size docs/OPERATIONS.md states (within 10 %), and under 2 MB', () => {
    const kb = statSync(join(bundleDirectory('backup'), 'index.js')).size / 1000;

    expect(Math.abs(kb - documentedKb()) / documentedKb()).toBeLessThan(0.1);
    expect(kb).toBeLessThan(2000);
  });

  it('carry the AWS SDK the lockfile pins, not the runtime’s (no require of @aws-sdk left)', () => {
    // The one mention left is in an SDK error message ("…by calling [require(\"@aws-sdk/signature-v4-crt\")]").
    const runtimeSdk = HANDLERS.filter((handler) => /(?<!\[)require\("@aws-sdk\//.test(bundleText(handler)));
    expect(runtimeSdk).toEqual([]);
  });

  it('carry age-encryption, with which every handler opens encrypted archives (and the backup seals them)', () => {
    const without = HANDLERS.filter((handler) => !bundleText(handler).includes('age-encryption.org/v1'));
    expect(without).toEqual([]);
    expect(bundleText('backup')).toContain('scrypt work factor');
  });

  it('keep the name of every n8n-ark error class', () => {
    expect(ERROR_CLASSES).toContain('LedgerLockedError');
    const named = (handler: (typeof HANDLERS)[number]) => {
      const text = bundleText(handler);
      return ERROR_CLASSES.filter((name) => text.includes(`"${name}"`));
    };
    // Each bundle holds the classes its handler can reach; the shared ones are in all.
    for (const handler of HANDLERS)
      expect(named(handler), handler).toEqual(
        expect.arrayContaining(['ArkError', 'UsageError', 'StoreError']),
      );
    expect(named('restore')).toContain('LedgerLockedError');
    expect(named('drill')).toContain('LedgerLockedError');
  });

  it('throw errors by their class name, as Step Functions and the execution history see them', async () => {
    const probe = (handler: string) =>
      `require(${JSON.stringify(join(bundleDirectory(handler as 'backup'), 'index.js'))}).handler({}).then(() => process.exit(3), (e) => { process.stdout.write(e.name + ': ' + e.message.split(':')[0]); })`;
    for (const handler of ['backup', 'restore', 'verify'] as const) {
      const { stdout } = await run(process.execPath, ['-e', probe(handler)], {
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(stdout, handler).toBe(`UsageError: invalid ${handler} event`);
    }
  });
});

/** The ASL of every state machine in a template (its DefinitionString, references as placeholders). */
function definitions(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): unknown[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map((r) => {
      const text = r.Properties?.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
      const joined =
        typeof text === 'string'
          ? text
          : text['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'REF')).join('');
      return JSON.parse(joined);
    });
}

function errorNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(errorNames);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === 'ErrorEquals' ? (v as string[]) : errorNames(v),
  );
}

/** The names Step Functions itself reports for a Lambda task (its documentation's list). */
const SERVICE_ERRORS = new Set([
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
]);

describe('Retry and Catch in the state machines', () => {
  let names: string[] = [];

  beforeAll(() => {
    names = [...new Set(errorNames(definitions(synthesize(cdkContext().n8nArk).json.Resources ?? {})))];
  });

  it('name only errors that exist: States.*, the Lambda service’s, or an n8n-ark error class in the bundles', () => {
    const unknown = names.filter(
      (name) => !name.startsWith('States.') && !SERVICE_ERRORS.has(name) && !ERROR_CLASSES.includes(name),
    );

    expect(names).toContain('Lambda.Unknown');
    expect(unknown).toEqual([]);
    for (const name of names.filter((n) => ERROR_CLASSES.includes(n)))
      expect(
        HANDLERS.some((handler) => bundleText(handler).includes(`"${name}"`)),
        name,
      ).toBe(true);
  });
});
