import { describe, expect, it } from 'vitest';
import { UsageError } from '../../functions/core/errors.js';
import { compose } from '../../functions/handlers/compose.js';
import {
  backupEventSchema,
  parseAtEdge,
  restoreEventSchema,
  verifyEventSchema,
} from '../../functions/handlers/events.js';

const validEnv = {
  ARCHIVE_BUCKET: 'ark-archives',
  INSTANCES: '{"prod": "n8n-ark/prod", "dr": "n8n-ark/dr"}',
};

function failure(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('compose: the Lambda environment', () => {
  it('builds the store on the bucket and prefix, defaulting the prefix to archives', () => {
    const composition = compose({ ...validEnv, KMS_KEY_ID: 'key-1' });

    expect(composition.env).toMatchObject({
      ARCHIVE_BUCKET: 'ark-archives',
      ARCHIVE_PREFIX: 'archives',
      KMS_KEY_ID: 'key-1',
      INSTANCES: new Map([
        ['prod', 'n8n-ark/prod'],
        ['dr', 'n8n-ark/dr'],
      ]),
    });
    expect(composition.store.options).toMatchObject({
      bucket: 'ark-archives',
      prefix: 'archives',
      kmsKeyId: 'key-1',
    });
  });

  it('addresses S3 path-style only when N8N_ARK_S3_FORCE_PATH_STYLE is "true"', () => {
    expect(compose({ ...validEnv, N8N_ARK_S3_FORCE_PATH_STYLE: 'true' }).s3.config.forcePathStyle).toBe(true);
    expect(compose(validEnv).s3.config.forcePathStyle).toBe(false);
  });

  it('names every missing or bad variable in one usage error', () => {
    const error = failure(() => compose({ ARCHIVE_BUCKET: 'b' }));

    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^invalid Lambda environment: /);
    expect(error.message).toContain('ARCHIVE_BUCKET: ');
    expect(error.message).toContain('INSTANCES: ');
  });

  it('refuses INSTANCES that is not JSON, saying what it must be', () => {
    expect(() => compose({ ...validEnv, INSTANCES: 'prod=n8n-ark/prod' })).toThrow(
      'invalid Lambda environment: INSTANCES: INSTANCES must be a JSON object of instance name → secret name',
    );
  });

  it('refuses INSTANCES that is JSON of another shape', () => {
    for (const instances of ['["prod"]', '{"prod": 3}', 'null']) {
      expect(() => compose({ ...validEnv, INSTANCES: instances }), instances).toThrow(
        /INSTANCES: INSTANCES must be a JSON object of instance name → secret name/,
      );
    }
  });

  it('an instance not configured is refused before any secret is read, listing those that are', async () => {
    await expect(compose(validEnv).n8n('staging')).rejects.toThrow(
      'unknown instance "staging"; configured: prod, dr',
    );
    await expect(compose({ ...validEnv, INSTANCES: '{}' }).n8n('prod')).rejects.toThrow(
      'unknown instance "prod"; configured: none',
    );
  });
});

describe('instance names at the handlers', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'])(
    'a prototype name (%s) is no configured instance, before any secret is read',
    async (name) => {
      const composition = compose(validEnv);
      await expect(composition.n8n(name)).rejects.toThrow(`unknown instance "${name}"; configured: prod, dr`);
      expect(() => composition.configured(name)).toThrow(UsageError);
      expect(() => composition.credentialSecrets(name, 'sm://x')).toThrow(UsageError);
    },
  );

  it('an INSTANCES key named __proto__ is an instance like any other, never a prototype', () => {
    const composition = compose({
      ...validEnv,
      INSTANCES: '{"__proto__": "n8n-ark/odd", "prod": "n8n-ark/prod"}',
    });
    expect(composition.configured('prod')).toBe('n8n-ark/prod');
    expect(() => composition.configured('constructor')).toThrow(UsageError);
  });

  it.each([
    ['backup', backupEventSchema, (instance: string) => ({ instance })],
    ['verify', verifyEventSchema, (instance: string) => ({ instance })],
    ['restore', restoreEventSchema, (target: string) => ({ archive: { key: 'a.zip' }, target })],
  ] as const)('%s: refuses a name that is no instance name, as backup names them', (what, schema, event) => {
    for (const name of ['../../x', '..', 'prod/2026', '__proto__', '.hidden', 'x'.repeat(64)])
      expect(() => parseAtEdge(schema, event(name), `${what} event`), name).toThrow(
        /use letters, digits, '\.', '_' or '-' \(up to 63, beginning with a letter or digit\)/,
      );
  });
});

describe('event schemas', () => {
  it('backup: takes an instance name and nothing less', () => {
    expect(parseAtEdge(backupEventSchema, { instance: 'prod' }, 'backup event')).toEqual({
      instance: 'prod',
    });
    expect(() => parseAtEdge(backupEventSchema, { instance: '' }, 'backup event')).toThrow(
      /^invalid backup event: instance: /,
    );
    expect(() => parseAtEdge(backupEventSchema, 'prod', 'backup event')).toThrow(
      /^invalid backup event: \(root\): /,
    );
  });

  it('backup: takes how many saved versions to keep per workflow, a whole number from 0', () => {
    expect(parseAtEdge(backupEventSchema, { instance: 'prod', history: 0 }, 'backup event')).toEqual({
      instance: 'prod',
      history: 0,
    });
    expect(() => parseAtEdge(backupEventSchema, { instance: 'prod', history: -1 }, 'backup event')).toThrow(
      /^invalid backup event: history: /,
    );
    expect(() => parseAtEdge(backupEventSchema, { instance: 'prod', history: 2.5 }, 'backup event')).toThrow(
      /^invalid backup event: history: /,
    );
  });

  it("restore: accepts the state machine's request as it sends it", () => {
    const request = parseAtEdge(
      restoreEventSchema,
      {
        archive: { key: 'archives/prod/2026/11/22/x.zip', versionId: 'v1' },
        target: 'dr',
        onConflict: 'skip',
        projectMap: { Ops: 'Operations' },
        only: ['workflows'],
        dryRun: true,
        keepWorkflowIds: true,
      },
      'restore event',
    );

    expect(request).toEqual({
      archive: { key: 'archives/prod/2026/11/22/x.zip', versionId: 'v1' },
      target: 'dr',
      onConflict: 'skip',
      projectMap: new Map([['Ops', 'Operations']]),
      only: ['workflows'],
      dryRun: true,
      keepWorkflowIds: true,
    });
  });

  it('restore: names every bad field, the archive key and the options alike', () => {
    const error = failure(() =>
      parseAtEdge(
        restoreEventSchema,
        { archive: {}, target: 'dr', onConflict: 'merge', only: ['tags', 'users'], rowBatchSize: 0 },
        'restore event',
      ),
    );

    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^invalid restore event: archive\.key: /);
    expect(error.message).toContain('; onConflict: must be one of skip, overwrite, rename, not "merge"');
    expect(error.message).toContain('; only.1: must list only projects');
    expect(error.message).toContain('; rowBatchSize: must be a whole number from 1 to 10000, not 0');
  });

  it('restore: takes a selection, activate: false and credential secrets as sm://<prefix>', () => {
    const request = parseAtEdge(
      restoreEventSchema,
      {
        archive: { key: 'archives/prod/x.zip' },
        target: 'dr',
        only: ['workflows', 'tags'],
        project: 'Ops',
        tag: 'billing',
        workflow: 'Invoice *',
        activate: false,
        credentialSecrets: 'sm://n8n-ark/credentials',
      },
      'restore event',
    );

    expect(request).toMatchObject({
      only: ['workflows', 'tags'],
      project: 'Ops',
      tag: 'billing',
      workflow: 'Invoice *',
      activate: false,
      credentialSecrets: 'sm://n8n-ark/credentials',
    });
  });

  it('restore: refuses a field it does not know, naming it and the fields it takes', () => {
    const error = failure(() =>
      parseAtEdge(
        restoreEventSchema,
        { archive: { key: 'a.zip' }, target: 'dr', activation: false },
        'restore event',
      ),
    );

    expect(error.message).toMatch(
      /^invalid restore event: \(root\): unknown field "activation"; a restore event takes archive, target, onConflict, .*activate.*credentialSecrets, maxRetryWait, retryBudget, execution$/,
    );
  });

  it('restore: credential secrets only as sm://<prefix>, never a file or a wildcard', () => {
    for (const credentialSecrets of ['./secrets.json', 'sm://', 'sm://n8n-ark/*', 'sm://n8n-ark/', 42]) {
      expect(
        () =>
          parseAtEdge(
            restoreEventSchema,
            { archive: { key: 'a.zip' }, target: 'dr', credentialSecrets },
            'restore event',
          ),
        String(credentialSecrets),
      ).toThrow(
        /^invalid restore event: credentialSecrets: must be sm:\/\/<prefix> naming Secrets Manager secrets/,
      );
    }
  });

  it('restore: credential secrets from the prefix configured for the target only', () => {
    const composition = compose({ ...validEnv, CREDENTIAL_SECRETS: '{"dr": "sm://n8n-ark/credentials"}' });

    expect(composition.credentialSecrets('dr', 'sm://n8n-ark/credentials')).toBeDefined();
    expect(() => composition.credentialSecrets('dr', 'sm://other')).toThrow(
      'invalid restore event: credentialSecrets: restores into "dr" may read credential secrets from sm://n8n-ark/credentials only (cdk.json), not sm://other',
    );
    expect(() => composition.credentialSecrets('prod', 'sm://n8n-ark/credentials')).toThrow(
      /restores into "prod" may not read credential secrets: set "credentialSecrets": "sm:\/\/<prefix>" on instance "prod"/,
    );
    expect(() => compose({ ...validEnv, CREDENTIAL_SECRETS: '["dr"]' })).toThrow(
      /CREDENTIAL_SECRETS must be a JSON object of instance name → sm:\/\/<prefix>/,
    );
  });

  it('backup: takes the shrink share, strictly between 0 and 1', () => {
    expect(
      parseAtEdge(backupEventSchema, { instance: 'prod', shrinkAlarmShare: 0.25 }, 'backup event'),
    ).toEqual({
      instance: 'prod',
      shrinkAlarmShare: 0.25,
    });
    for (const share of [0, 1, -0.1, '0.2'])
      expect(
        () => parseAtEdge(backupEventSchema, { instance: 'prod', shrinkAlarmShare: share }, 'backup event'),
        String(share),
      ).toThrow('invalid backup event: shrinkAlarmShare: must be a share between 0 and 1');
  });

  it('backup and restore: take the waits for n8n (maxRetryWait, retryBudget) as --max-retry-wait and --retry-budget do', () => {
    const archive = { key: 'archives/prod/x.zip' };
    expect(
      parseAtEdge(
        backupEventSchema,
        { instance: 'prod', maxRetryWait: 30, retryBudget: 600 },
        'backup event',
      ),
    ).toEqual({ instance: 'prod', maxRetryWait: 30, retryBudget: 600 });
    expect(
      parseAtEdge(restoreEventSchema, { archive, target: 'dr', retryBudget: 0 }, 'restore event'),
    ).toMatchObject({ retryBudget: 0 });
    expect(() =>
      parseAtEdge(backupEventSchema, { instance: 'prod', maxRetryWait: 0 }, 'backup event'),
    ).toThrow('invalid backup event: maxRetryWait: must be a whole number of seconds from 1 to 3600, not 0');
    expect(() =>
      parseAtEdge(restoreEventSchema, { archive, target: 'dr', retryBudget: 1.5 }, 'restore event'),
    ).toThrow(
      'invalid restore event: retryBudget: must be a whole number of seconds from 0 to 3600, not 1.5',
    );
  });

  it('verify: an archive (with the target after a restore) or an instance', () => {
    const archive = { key: 'archives/prod/x.zip' };
    expect(parseAtEdge(verifyEventSchema, { archive }, 'verify event')).toEqual({ archive });
    expect(parseAtEdge(verifyEventSchema, { archive, target: 'dr', only: ['tags'] }, 'verify event')).toEqual(
      {
        archive,
        target: 'dr',
        only: ['tags'],
      },
    );
    expect(parseAtEdge(verifyEventSchema, { instance: 'prod' }, 'verify event')).toEqual({
      instance: 'prod',
    });
    expect(() => parseAtEdge(verifyEventSchema, {}, 'verify event')).toThrow(/^invalid verify event: /);
    expect(() => parseAtEdge(verifyEventSchema, { archive, only: ['users'] }, 'verify event')).toThrow(
      /^invalid verify event: /,
    );
  });
});
