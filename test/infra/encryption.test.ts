/**
 * `encryption` in the config: the functions that open archives (backup, verify, restore, drill) get
 * the key's secret in their environment and may read it; the prune, which needs no key, has neither.
 * No encryption, no key anywhere.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { idsOf, roleStatementsOf, synthesize } from './support/synth.js';

const OFFLINE = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
let template: Template;

beforeAll(() => {
  template = synthesize({
    instances: [
      {
        name: 'prod',
        secretName: 'n8n-ark/prod',
        retention: { daily: 7, weekly: 4, monthly: 6 },
        drill: { targetSecret: 'n8n-ark/scratch' },
      },
    ],
    encryption: { secretName: 'n8n-ark/archive-key', recipients: [OFFLINE] },
  }).template;
});

function functionsOf(
  t: Template,
  prefix: string,
): { environment: Record<string, string>; statements: string }[] {
  return idsOf(t, 'AWS::Lambda::Function', prefix).map((id) => {
    const fn = t.toJSON().Resources[id];
    const role = fn.Properties.Role['Fn::GetAtt'][0] as string;
    return {
      environment: fn.Properties.Environment.Variables,
      statements: JSON.stringify(roleStatementsOf(t, role)),
    };
  });
}

const readsKey = (statements: string) => /secret:n8n-ark\/archive-key-\?{6}/.test(statements);

describe('encryption', () => {
  it.each(['Backup', 'Verify', 'Restore', 'DrillsDrill'])(
    'the %s function has the key secret in its environment and may read it',
    (prefix) => {
      const [fn] = functionsOf(template, prefix);
      expect(fn?.environment.ENCRYPTION_SECRET).toBe('n8n-ark/archive-key');
      expect(fn?.environment.ENCRYPTION_RECIPIENTS).toBe(OFFLINE);
      expect(readsKey(fn?.statements ?? '')).toBe(true);
    },
  );

  it('the prune function has neither: it needs no key', () => {
    const prunes = functionsOf(template, 'RetentionPrune');
    expect(prunes).toHaveLength(1);
    expect(prunes[0]?.environment.ENCRYPTION_SECRET).toBeUndefined();
    expect(readsKey(prunes[0]?.statements ?? '')).toBe(false);
  });

  it('without encryption no function has a key', () => {
    const plain = synthesize({ instances: [{ name: 'prod', secretName: 'n8n-ark/prod' }] }).template;
    for (const prefix of ['Backup', 'Verify', 'Restore']) {
      const [fn] = functionsOf(plain, prefix);
      expect(fn?.environment.ENCRYPTION_SECRET).toBeUndefined();
      expect(readsKey(fn?.statements ?? '')).toBe(false);
    }
  });

  it('refuses an encryption without a secret, or with recipients that are no age public keys', () => {
    const instances = [{ name: 'prod', secretName: 'n8n-ark/prod' }];
    expect(parseConfig({ instances, encryption: { secretName: 'k' } }).encryption).toEqual({
      secretName: 'k',
      recipients: [],
    });
    expect(() => parseConfig({ instances, encryption: { recipients: [OFFLINE] } })).toThrow(
      'encryption.secretName must name the Secrets Manager secret',
    );
    expect(() =>
      parseConfig({ instances, encryption: { secretName: 'k', recipients: ['AGE-SECRET-KEY-1X'] } }),
    ).toThrow('encryption.recipients must be a list of age public keys');
    expect(() => parseConfig({ instances, encryption: { secretName: 'k', passphrase: 'x' } })).toThrow(
      'encryption.passphrase is not a setting',
    );
  });
});
