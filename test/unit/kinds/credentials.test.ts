import { describe, expect, it } from 'vitest';
import { SecretError } from '../../../functions/core/errors.js';
import { credentialsKind } from '../../../functions/core/kinds/credentials/index.js';
import type { SecretSource } from '../../../functions/core/ports.js';
import { emptyTarget, seededSource } from '../fakes/seeded-instance.js';
import { applyStep, entryOf, planKind, writesTo } from './support.js';

const [createStep, transferStep] = credentialsKind.steps;
const SLACK = 'credSlack0000001';
const HEADER = 'credHeader000001';

function secretsOf(byKey: Record<string, string>): SecretSource {
  return { get: async (key) => byKey[key] };
}

describe('planning and creating credentials', () => {
  it('skips a credential the target has under the same id and type, and never overwrites it', async () => {
    const target = emptyTarget();
    target.seedCredential('Header', 'httpHeaderAuth', target.ownerPersonalProjectId, HEADER);
    Object.assign(target.credentials[0] ?? {}, { data: { name: 'X-Live', value: 'live' } });

    const planned = await planKind(credentialsKind, seededSource(), target, {
      conflicts: { onConflict: 'overwrite' },
    });
    await applyStep(createStep, planned);

    expect(entryOf(planned, HEADER)).toMatchObject({ action: 'skip', targetId: HEADER });
    expect(target.credentials.filter((c) => c.id === HEADER)).toEqual([
      expect.objectContaining({ name: 'Header', data: { name: 'X-Live', value: 'live' } }),
    ]);
  });

  it('reports a credential whose id the target gives another type as a conflict', async () => {
    const target = emptyTarget();
    target.seedCredential('Someone else', 'githubApi', target.ownerPersonalProjectId, SLACK);

    const planned = await planKind(credentialsKind, seededSource(), target, {
      conflicts: { onConflict: 'overwrite' },
    });

    expect(entryOf(planned, SLACK)).toMatchObject({ action: 'conflict', targetId: SLACK });
  });

  it('creates a renamed copy under a new id when the id is taken by another type, under rename', async () => {
    const target = emptyTarget();
    target.seedCredential('Someone else', 'githubApi', target.ownerPersonalProjectId, SLACK);

    const planned = await planKind(credentialsKind, seededSource(), target, {
      conflicts: { onConflict: 'rename' },
    });
    const ledger = await applyStep(createStep, planned);

    const copyId = ledger.targetId('credentials', SLACK);
    expect(copyId).not.toBe(SLACK);
    expect(target.credentials.find((c) => c.id === copyId)).toMatchObject({
      name: 'Slack bot (restored)',
      type: 'slackApi',
    });
    expect(target.credentials.find((c) => c.id === SLACK)?.type).toBe('githubApi');
  });

  it('creates a stub under its own id when n8n can take it, under a new id otherwise', async () => {
    const source = seededSource();
    source.seedCredential('Legacy', 'httpHeaderAuth', source.ownerPersonalProjectId, 'legacy.credential.id');
    const target = emptyTarget();

    const planned = await planKind(credentialsKind, source, target);
    const ledger = await applyStep(createStep, planned);

    expect(entryOf(planned, SLACK).createWithId).toBe(SLACK);
    expect(entryOf(planned, 'legacy.credential.id').createWithId).toBeUndefined();
    expect(ledger.targetId('credentials', SLACK)).toBe(SLACK);
    const legacyId = ledger.targetId('credentials', 'legacy.credential.id');
    expect(target.credentials.find((c) => c.id === legacyId)?.name).toBe('Legacy');
    expect(legacyId).not.toBe('legacy.credential.id');
  });

  it('fills a stub with placeholder data and lists it as awaiting its secret', async () => {
    const target = emptyTarget();

    const ledger = await applyStep(createStep, await planKind(credentialsKind, seededSource(), target));

    expect(target.credentials.find((c) => c.id === HEADER)?.data).toEqual({ name: '', value: '' });
    expect(ledger.state.credentialsAwaitingSecrets.map((c) => c.id).sort()).toEqual([HEADER, SLACK]);
  });

  it('creates a credential with its secret from the secret source and keeps the secret out of every message', async () => {
    const target = emptyTarget();
    const secrets = secretsOf({
      [HEADER]: JSON.stringify({ name: 'X-Key', value: 's3cret' }),
      'Slack bot': JSON.stringify({ token: 't0psecret' }),
    });

    const planned = await planKind(credentialsKind, seededSource(), target);
    const ledger = await applyStep(createStep, planned, { secrets });

    expect(target.credentials.find((c) => c.id === HEADER)?.data).toEqual({ name: 'X-Key', value: 's3cret' });
    expect(ledger.state.credentialsAwaitingSecrets).toEqual([]);
    // n8n refuses the Slack secret's field: that credential fails, its secret unsaid.
    expect(ledger.state.failed.credentials).toBe(1);
    expect(ledger.state.warnings[0]?.message).toContain('Slack bot');
    expect(JSON.stringify(ledger.state)).not.toMatch(/s3cret|t0psecret/);
  });

  it('stops on a secret that is not a JSON object without repeating it', async () => {
    const planned = await planKind(credentialsKind, seededSource(), emptyTarget());

    const error = await applyStep(createStep, planned, {
      secrets: secretsOf({ [HEADER]: 'hunter2, not JSON' }),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).message).toContain('API header');
    expect((error as SecretError).message).not.toContain('hunter2');
  });

  it.each([
    ['listing the target when resumed', true],
    ["n8n's 409 on the chosen id", false],
  ])('adopts the stub an interrupted run made under its id, found by %s', async (_how, resumed) => {
    const target = emptyTarget();
    const planned = await planKind(credentialsKind, seededSource(), target);
    await applyStep(createStep, planned);

    const ledger = await applyStep(createStep, planned, { resumed });

    expect(writesTo(target, 'POST /credentials')).toHaveLength(2);
    expect(target.credentials.map((c) => c.id).sort()).toEqual([HEADER, SLACK]);
    expect(ledger.targetId('credentials', SLACK)).toBe(SLACK);
  });
});

describe('moving credentials to their project', () => {
  async function slackOwnedByPersonal(onConflict: 'overwrite' | 'skip', workflow?: string) {
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    target.seedCredential('Slack bot', 'slackApi', target.ownerPersonalProjectId, SLACK);
    const planned = await planKind(credentialsKind, seededSource(), target, {
      conflicts: { onConflict },
      ...(workflow ? { selection: { workflow } } : {}),
    });
    const ledger = await applyStep(transferStep, planned);
    return { target, ops, ledger, owner: () => target.credentials.find((c) => c.id === SLACK)?.shared };
  }

  it('moves a credential matched by id into its mapped project under overwrite', async () => {
    const { ops, ledger, owner } = await slackOwnedByPersonal('overwrite');

    expect(owner()).toEqual([expect.objectContaining({ id: ops.id, role: 'credential:owner' })]);
    expect(ledger.state.updated.credentials).toBe(1);
  });

  it('leaves a credential only pulled in by a chosen workflow where it is, even under overwrite', async () => {
    const { target, owner } = await slackOwnedByPersonal('overwrite', 'Main');

    expect(owner()).toEqual([expect.objectContaining({ id: target.ownerPersonalProjectId })]);
    expect(writesTo(target, `PUT /credentials/${SLACK}/transfer`)).toEqual([]);
  });

  it('leaves a credential matched by id where it is under skip', async () => {
    const { target, owner } = await slackOwnedByPersonal('skip');

    expect(owner()).toEqual([expect.objectContaining({ id: target.ownerPersonalProjectId })]);
    expect(writesTo(target, `PUT /credentials/${SLACK}/transfer`)).toEqual([]);
  });
});

describe('global credentials', () => {
  function sourceWithGlobalSlack() {
    const source = seededSource();
    Object.assign(source.credentials.find((c) => c.id === SLACK) ?? {}, { isGlobal: true });
    return source;
  }

  it('makes a created credential global when it was global on the source', async () => {
    const target = emptyTarget();

    const planned = await planKind(credentialsKind, sourceWithGlobalSlack(), target);
    const ledger = await applyStep(createStep, planned);

    expect(entryOf(planned, SLACK)).toMatchObject({ action: 'create', makeGlobal: true });
    expect(entryOf(planned, SLACK).reason).toContain('made global as on the source');
    expect(entryOf(planned, HEADER).makeGlobal).toBeUndefined();
    expect(target.credentials.find((c) => c.id === SLACK)?.isGlobal).toBe(true);
    expect(target.credentials.find((c) => c.id === HEADER)?.isGlobal).not.toBe(true);
    expect(writesTo(target, `PATCH /credentials/${SLACK}`)).toHaveLength(1);
    expect(ledger.state.warnings).toEqual([]);
  });

  it('keeps the credential in its project and says so when the target is not licensed for sharing', async () => {
    const target = emptyTarget({ licensed: { sharing: false } });

    const ledger = await applyStep(
      createStep,
      await planKind(credentialsKind, sourceWithGlobalSlack(), target),
    );

    expect(target.credentials.find((c) => c.id === SLACK)).toMatchObject({ type: 'slackApi' });
    expect(target.credentials.find((c) => c.id === SLACK)?.isGlobal).not.toBe(true);
    expect(ledger.state.warnings).toEqual([
      expect.objectContaining({
        code: 'credential-not-global',
        message: expect.stringContaining('not licensed for sharing credentials'),
      }),
    ]);
    expect(ledger.state.failedObjects).toEqual([]);
  });

  it('does not make it global twice when the step runs again', async () => {
    const target = emptyTarget();
    const planned = await planKind(credentialsKind, sourceWithGlobalSlack(), target);
    const ledger = await applyStep(createStep, planned);

    await applyStep(createStep, planned, { ledger, resumed: true });

    expect(writesTo(target, `PATCH /credentials/${SLACK}`)).toHaveLength(1);
  });
});
