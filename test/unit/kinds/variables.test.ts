import { describe, expect, it } from 'vitest';
import type { ConflictPolicy } from '../../../functions/core/kinds/shared/conflict-policy.js';
import { variablesKind } from '../../../functions/core/kinds/variables.js';
import { emptyTarget } from '../fakes/seeded-instance.js';
import { applyStep, emptySource, exactlyOne, planKind, refuseWrites, resumeAfterCrash } from './support.js';

const [writeVariables] = variablesKind.steps;

/** A source with the global REGION=eu-west-1 and OPS_CHANNEL=#ops in its team project Ops. */
function sourceWithVariables() {
  const source = emptySource();
  const ops = source.seedProject('Ops');
  const region = source.seedVariable('REGION', 'eu-west-1');
  const channel = source.seedVariable('OPS_CHANNEL', '#ops', ops);
  return { source, region, channel };
}

describe('variables plan', () => {
  it('skips an identical variable even under overwrite, and matches a project one within its project only', async () => {
    const { source } = sourceWithVariables();
    const target = emptyTarget();
    target.seedProject('Ops');
    const region = target.seedVariable('REGION', 'eu-west-1');
    target.seedVariable('OPS_CHANNEL', '#ops');

    const { entries } = await planKind(variablesKind, source, target, {
      conflicts: { onConflict: 'overwrite' },
    });

    expect(entries.map((e) => [e.name, e.action, e.targetId])).toEqual([
      ['REGION', 'skip', region.id],
      ['OPS_CHANNEL', 'create', undefined],
    ]);
  });

  it.each<[ConflictPolicy, object]>([
    ['skip', { action: 'skip', reason: expect.stringContaining('kept the target') }],
    ['overwrite', { action: 'update' }],
    ['rename', { action: 'create', renameTo: 'REGION_RESTORED_2' }],
  ])('a variable whose value differs follows --on-conflict %s', async (onConflict, decision) => {
    const { source } = sourceWithVariables();
    const target = emptyTarget();
    const region = target.seedVariable('REGION', 'us-east-1');
    target.seedVariable('REGION_RESTORED', 'taken by an earlier restore');

    const { entries } = await planKind(variablesKind, source, target, { conflicts: { onConflict } });

    const planned = exactlyOne(entries, (e) => e.name === 'REGION');
    expect(planned).toMatchObject(decision);
    if (onConflict !== 'rename') expect(planned.targetId).toBe(region.id);
  });

  it('warns that a variable of a project with no counterpart in the target becomes global', async () => {
    const { source } = sourceWithVariables();

    const { entries, plan } = await planKind(variablesKind, source, emptyTarget(), {
      selection: { only: ['variables'] },
    });

    expect(exactlyOne(entries, (e) => e.name === 'OPS_CHANNEL').action).toBe('create');
    expect(plan.warnings).toEqual([expect.objectContaining({ code: 'variable-scope-lost' })]);
  });

  it("with --project, plans that project's variables only", async () => {
    const { source } = sourceWithVariables();

    const { entries } = await planKind(variablesKind, source, emptyTarget(), {
      selection: { project: 'Ops' },
    });

    expect(entries.map((e) => e.name)).toEqual(['OPS_CHANNEL']);
  });

  it('notes that a target without variables takes none, and skips each', async () => {
    const { source } = sourceWithVariables();
    const target = emptyTarget({ licensed: { variables: false } });

    const { entries, plan } = await planKind(variablesKind, source, target);

    expect(plan.notes).toContainEqual(expect.stringMatching(/cannot take variables .*2 variable/));
    expect(entries.map((e) => e.action)).toEqual(['skip', 'skip']);
  });
});

describe('variables step', () => {
  it('creates global and project variables and records the ids n8n answers without', async () => {
    const { source, region, channel } = sourceWithVariables();
    const target = emptyTarget();
    const ops = target.seedProject('Ops');
    const planned = await planKind(variablesKind, source, target);

    const ledger = await applyStep(writeVariables, planned);

    const created = exactlyOne(target.variables, (v) => v.key === 'OPS_CHANNEL');
    expect(created).toMatchObject({ value: '#ops', project: { id: ops.id } });
    expect(exactlyOne(target.variables, (v) => v.key === 'REGION').project).toBeNull();
    expect(ledger.targetId('variables', channel.id)).toBe(created.id);
    expect(ledger.targetId('variables', region.id)).toBe(
      exactlyOne(target.variables, (v) => v.key === 'REGION').id,
    );
  });

  it.each<[ConflictPolicy, string[]]>([
    ['overwrite', ['REGION=eu-west-1']],
    ['rename', ['REGION=us-east-1', 'REGION_RESTORED=eu-west-1']],
  ])('on a differing value, --on-conflict %s leaves the target with %j', async (onConflict, after) => {
    const source = emptySource();
    source.seedVariable('REGION', 'eu-west-1');
    const target = emptyTarget();
    target.seedVariable('REGION', 'us-east-1');
    const planned = await planKind(variablesKind, source, target, { conflicts: { onConflict } });

    await applyStep(writeVariables, planned);

    expect(target.variables.map((v) => `${v.key}=${v.value}`)).toEqual(after);
  });

  it('on resume, adopts the variable an interrupted run created instead of creating it twice', async () => {
    const { source, region } = sourceWithVariables();
    const target = emptyTarget();
    target.seedProject('Ops');
    const planned = await planKind(variablesKind, source, target);

    const ledger = await resumeAfterCrash(writeVariables, planned, { atWrite: 2 });

    expect(target.variables.map((v) => v.key)).toEqual(['REGION', 'OPS_CHANNEL']);
    expect(ledger.targetId('variables', region.id)).toBe(
      exactlyOne(target.variables, (v) => v.key === 'REGION').id,
    );
    expect(ledger.state.failed.variables).toBe(0);
  });

  it('fails only the variable n8n refuses and creates the others', async () => {
    const { source, region } = sourceWithVariables();
    const target = emptyTarget();
    target.seedProject('Ops');
    const planned = await planKind(variablesKind, source, target);
    refuseWrites(target, 'createVariable', (body) => body.key === 'REGION');

    const ledger = await applyStep(writeVariables, planned);

    expect(target.variables.map((v) => v.key)).toEqual(['OPS_CHANNEL']);
    expect(ledger.hasFailed('variables', region.id)).toBe(true);
    expect(ledger.state.warnings).toEqual([expect.objectContaining({ code: 'restore-failed' })]);
  });
});
