import { describe, expect, it } from 'vitest';
import { MissingScopeError } from '../../functions/core/errors.js';
import { assertRestoreScopes, runDoctor } from '../../functions/core/instance/doctor.js';
import { memoryN8nHolding, workflow } from './fakes/n8n-contents.js';

const withScopes = (scopes: string[] | undefined) => ({ discoverScopes: async () => scopes });

describe('assertRestoreScopes', () => {
  it('names every scope the restore needs and the key lacks, before any write', async () => {
    const error = await assertRestoreScopes(withScopes(['tag:list', 'workflow:list']), [
      'tags',
      'workflows',
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingScopeError);
    expect((error as Error).message).toMatch(/lacks scopes tag:create, workflow:activate, workflow:create/);
    expect((error as Error).message).toMatch(/nothing was written/);
  });

  it('lets the restore go ahead when the key has what it needs, or when n8n cannot tell', async () => {
    await expect(
      assertRestoreScopes(withScopes(['tag:list', 'tag:create', 'workflowTags:update']), ['tags']),
    ).resolves.toBeUndefined();
    await expect(assertRestoreScopes(withScopes(undefined), ['workflows'])).resolves.toBeUndefined();
  });
});

describe('runDoctor', () => {
  it('reports per resource whether the key can read it, and why not', async () => {
    const api = Object.assign(
      memoryN8nHolding({
        workflows: [workflow('w', 'a')],
        unlicensed: ['feat:variables'],
        missingScopes: ['user:list'],
      }),
      withScopes(['workflow:list', 'workflow:read']),
    );

    const report = await runDoctor(api);

    const read = Object.fromEntries(report.resources.map((r) => [r.resource, r.read]));
    expect(read).toMatchObject({
      workflows: 'ok',
      variables: 'not-licensed',
      users: 'missing-scope',
      tags: 'ok',
    });
    expect(report.canBackUp).toBe(true);
    expect(report.completeBackup).toEqual({
      complete: false,
      missingScopes: ['user:list'],
      wouldExclude: ['users'],
      notLicensed: ['variables'],
    });
    expect(report.canRestore).toBe(false);
    expect(report.resources.find((r) => r.resource === 'workflows')?.missingRestoreScopes).toContain(
      'workflow:create',
    );
  });

  it('says whether --keep-workflow-ids can work: the package-import route and workflow:import', async () => {
    const instance = { workflows: [workflow('w', 'a')] };
    const old = await runDoctor(Object.assign(memoryN8nHolding(instance), withScopes(['workflow:import'])));
    const importing = (scopes: string[]) =>
      runDoctor(
        Object.assign(memoryN8nHolding(instance), withScopes(scopes), {
          supportsWorkflowImport: async () => true,
        }),
      );

    expect(old.keepWorkflowIds).toEqual({ possible: false, detail: expect.stringMatching(/2\.24/) });
    expect((await importing(['workflow:list'])).keepWorkflowIds).toEqual({
      possible: false,
      detail: 'the key lacks workflow:import',
    });
    expect((await importing(['workflow:import'])).keepWorkflowIds.possible).toBe(true);
  });
});
