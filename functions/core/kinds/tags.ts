/** Tags: one namespace per instance, so a tag is its name. */

import { z } from 'zod';
import type { Tag } from '../n8n-types.js';
import type { N8nScratchApi, N8nTagsApi } from '../ports.js';
import type { ApplyContext, Kind, PlanContext } from './kind.js';
import { id, text } from './kind.js';
import { Adoption } from './shared/adoption.js';

declare module './shared/state.js' {
  interface SourceRecords {
    tags: Tag[];
  }
  interface TargetRecords {
    tags: Tag[] | undefined;
  }
}

export function tagKey(tag: Pick<Tag, 'name'>): string {
  return tag.name;
}

function plan(ctx: PlanContext): void {
  const tags = ctx.source.tags.filter((t) => ctx.isSelected('tags', t.id) || ctx.isMatchable('tags'));
  if (tags.length === 0) return;
  if (!ctx.target.tags) {
    ctx.note(`The target cannot take tags (${ctx.target.unavailable.get('tags')}).`);
    return;
  }
  const byKey = new Map(ctx.target.tags.map((t) => [tagKey(t), t]));
  for (const tag of tags) {
    const existing = byKey.get(tagKey(tag));
    const selected = ctx.isSelected('tags', tag.id);
    const base = {
      resource: 'tags' as const,
      sourceId: tag.id,
      name: tag.name,
      ...ctx.pulledInBy('tags', tag.id),
    };
    if (existing)
      ctx.add({
        ...base,
        action: 'skip',
        targetId: existing.id,
        reason: selected ? 'a tag of that name exists' : 'not selected; matched by name',
      });
    else if (selected) ctx.add({ ...base, action: 'create', reason: 'not in the target' });
  }
}

async function create(ctx: ApplyContext): Promise<void> {
  const entries = ctx.entries('tags').filter((e) => e.action === 'create');
  if (entries.length === 0) return;
  // 409 "Tag already exists" on create: one this restore made before an interruption, or a race.
  const adoption = new Adoption(
    ctx.ledger,
    'tags',
    { list: () => ctx.api.listTags(), keys: (t) => [tagKey(t)] },
    ctx.resumed,
  );
  for (const entry of entries) {
    if (ctx.ledger.targetId('tags', entry.sourceId) || ctx.ledger.isMarked('tags', entry.sourceId)) continue;
    ctx.checkDeadline();
    const name = entry.renameTo ?? entry.name;
    await ctx.attempt('tags', entry, 'creating the tag', async () => {
      const id = await adoption.createOrAdopt(
        tagKey({ name }),
        async () => (await ctx.api.createTag(name)).id,
      );
      ctx.ledger.recordId('tags', entry.sourceId, id);
      ctx.ledger.count('created', 'tags');
    });
    await ctx.ledger.checkpoint();
  }
}

export const tagsKind = {
  resource: 'tags',
  restored: true,
  entries: {
    tags: {
      name: 'tags.ndjson',
      record: z.looseObject({ id, name: text }),
      // n8n keeps tag names unique (a unique index on the name).
      naturalKey: (tag: Tag) => ({ key: tagKey(tag), what: `tag name ${JSON.stringify(tag.name)}` }),
      nameOf: (tag: Tag) => tag.name,
    },
  },
  list: (api: N8nTagsApi) => api.listTags(),
  restoreScopes: ['tag:list', 'tag:create', 'workflowTags:update'],
  plan,
  steps: [{ name: 'tags', run: create }],
  closingCheckNames: true,
  diff: {
    index: (tags: readonly Tag[]) =>
      tags.map((tag) => ({ key: tagKey(tag), id: tag.id, canonical: { name: tag.name } })),
  },
  contents: { row: (tag: Tag) => ({ id: tag.id, name: tag.name }) },
  scratch: { wipe: (api: N8nScratchApi, tag: Tag) => api.deleteTag(tag.id), wipeScopes: ['tag:delete'] },
} as const satisfies Kind<'tags', 'tags'>;
