import { describe, expect, it } from 'vitest';
import { MissingScopeError } from '../../../functions/core/errors.js';
import { tagsKind } from '../../../functions/core/kinds/tags.js';
import { emptyTarget } from '../fakes/seeded-instance.js';
import { applyStep, emptySource, exactlyOne, planKind, refuseWrites, resumeAfterCrash } from './support.js';

const [createTags] = tagsKind.steps;

function sourceWithTags(...names: string[]) {
  const source = emptySource();
  for (const name of names) source.seedTag(name);
  return source;
}

describe('tags plan', () => {
  it('creates a tag the target lacks and reuses the one of the same name it has', async () => {
    const target = emptyTarget();
    const prod = target.seedTag('prod');

    const { entries } = await planKind(tagsKind, sourceWithTags('prod', 'billing'), target);

    expect(entries.map((e) => [e.name, e.action, e.targetId])).toEqual([
      ['prod', 'skip', prod.id],
      ['billing', 'create', undefined],
    ]);
  });

  it('outside --only, matches tags by name so workflows keep them, and creates none', async () => {
    const target = emptyTarget();
    const prod = target.seedTag('prod');

    const { entries } = await planKind(tagsKind, sourceWithTags('prod', 'billing'), target, {
      selection: { only: ['workflows'] },
    });

    expect(entries).toEqual([expect.objectContaining({ name: 'prod', action: 'skip', targetId: prod.id })]);
    expect(entries[0]?.reason).toContain('not selected');
  });

  it('notes that a key without the tag scope takes no tags, and plans no creates', async () => {
    const target = emptyTarget();
    Object.assign(target, {
      listTags: () => ({
        [Symbol.asyncIterator]() {
          throw new MissingScopeError('Forbidden', {
            status: 403,
            method: 'GET',
            path: '/tags',
            scope: 'tag:list',
          });
        },
      }),
    });

    const { entries, plan } = await planKind(tagsKind, sourceWithTags('prod'), target);

    expect(plan.notes).toContainEqual(expect.stringMatching(/cannot take tags .*tag:list/));
    expect(plan.target.tags).toBe(false);
    expect(entries.filter((e) => e.action === 'create')).toEqual([]);
  });
});

describe('tags step', () => {
  it('creates each planned tag and records its target id in the ledger', async () => {
    const source = sourceWithTags('prod', 'billing');
    const target = emptyTarget();
    const planned = await planKind(tagsKind, source, target);

    const ledger = await applyStep(createTags, planned);

    expect(target.tags.map((t) => t.name)).toEqual(['prod', 'billing']);
    for (const tag of source.tags)
      expect(ledger.targetId('tags', tag.id)).toBe(exactlyOne(target.tags, (t) => t.name === tag.name).id);
    expect(ledger.state.created.tags).toBe(2);
  });

  it('on resume, adopts the tag an interrupted run created instead of creating it twice', async () => {
    const target = emptyTarget();
    const planned = await planKind(tagsKind, sourceWithTags('prod', 'billing'), target);

    const ledger = await resumeAfterCrash(createTags, planned, { atWrite: 2 });

    expect(target.tags.map((t) => t.name)).toEqual(['prod', 'billing']);
    expect(target.writes.filter((w) => w === 'POST /tags')).toHaveLength(2);
    const prod = planned.entries.find((e) => e.name === 'prod');
    expect(ledger.targetId('tags', prod?.sourceId ?? '')).toBe(
      exactlyOne(target.tags, (t) => t.name === 'prod').id,
    );
  });

  it('adopts a tag someone created since planning when n8n answers 409', async () => {
    const target = emptyTarget();
    const planned = await planKind(tagsKind, sourceWithTags('prod'), target);
    const raced = target.seedTag('prod');

    const ledger = await applyStep(createTags, planned);

    expect(target.tags).toEqual([raced]);
    expect(ledger.targetId('tags', planned.entries[0]?.sourceId ?? '')).toBe(raced.id);
    expect(ledger.state.failed.tags).toBe(0);
  });

  it('fails only the tag n8n refuses and creates the others', async () => {
    const target = emptyTarget();
    const planned = await planKind(tagsKind, sourceWithTags('bad', 'prod'), target);
    refuseWrites(target, 'createTag', (name) => name === 'bad');

    const ledger = await applyStep(createTags, planned);

    expect(target.tags.map((t) => t.name)).toEqual(['prod']);
    expect(ledger.state.failed.tags).toBe(1);
    expect(ledger.state.warnings).toEqual([
      expect.objectContaining({ code: 'restore-failed', message: expect.stringContaining('tags "bad"') }),
    ]);
    expect(ledger.hasFailed('tags', planned.entries[0]?.sourceId ?? '')).toBe(true);
  });
});
