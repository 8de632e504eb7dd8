/**
 * A fixture kind, in one file: the community packages an instance has installed, backed up as an
 * archive entry of their own and restored by installing, at the archive's version, each the target
 * lacks. It exists to hold kinds/index.ts to its promise — a kind is one module and one line in
 * KINDS — on the API double (fixture-kind.test.ts adds the line). n8n-ark's own restore installs
 * only the packages workflows need (kinds/workflows/community-install.ts); this kind is no part of it.
 *
 * Everything generic (the export, the archive check, the plan's selection and scopes, the ledger,
 * the closing checks, the diff, inspect) meets it only through the contract in kinds/kind.ts.
 */
import { z } from 'zod';
import type { RestoreResource, RestoreStep } from '../../../functions/core/kinds/index.js';
import {
  type ApplyContext,
  id,
  type Kind,
  type PlanContext,
  text,
} from '../../../functions/core/kinds/kind.js';
import type { N8nApi } from '../../../functions/core/ports.js';

/** An installed package as the archive records it; its name is its id and its natural key. */
export interface InstalledPackage {
  id: string;
  name: string;
  version: string;
}

const RESOURCE = 'communityPackages';
// KINDS' types know the kinds of the real list; this one joins it only at run time, so its
// resource and step are named for them once, here.
const resource = RESOURCE as RestoreResource;
const step = RESOURCE as RestoreStep;

async function* installed(api: N8nApi): AsyncGenerator<InstalledPackage> {
  for (const p of await api.listCommunityPackages())
    yield { id: p.packageName, name: p.packageName, version: p.installedVersion };
}

function plan(ctx: PlanContext): void {
  const source = (ctx.source as unknown as Record<string, InstalledPackage[]>)[RESOURCE] ?? [];
  const target = (ctx.target as unknown as Record<string, InstalledPackage[] | undefined>)[RESOURCE];
  if (!target) {
    ctx.note(`The target's community packages cannot be listed (${ctx.target.unavailable.get(RESOURCE)}).`);
    return;
  }
  const byName = new Map(target.map((p) => [p.name, p]));
  for (const pkg of source) {
    if (!ctx.isSelected(resource, pkg.id)) continue;
    const existing = byName.get(pkg.name);
    const base = { resource, sourceId: pkg.id, name: pkg.name };
    if (!existing) ctx.add({ ...base, action: 'create', reason: 'not installed on the target' });
    else
      ctx.add({
        ...base,
        action: 'skip',
        targetId: existing.id,
        reason: existing.version === pkg.version ? 'installed' : `installed at ${existing.version}`,
      });
  }
}

async function install(ctx: ApplyContext): Promise<void> {
  const sources = await ctx.sourceRecords<InstalledPackage>(resource);
  for (const entry of ctx.entries(resource)) {
    const pkg = sources.get(entry.sourceId);
    if (entry.action !== 'create' || !pkg || ctx.ledger.targetId(resource, entry.sourceId)) continue;
    ctx.checkDeadline();
    await ctx.attempt(step, entry, 'installing it', async () => {
      const done = await ctx.api.installCommunityPackage(pkg.name, pkg.version, { verify: false });
      ctx.ledger.recordId(resource, entry.sourceId, done.packageName);
      ctx.ledger.count('created', resource);
    });
    await ctx.ledger.checkpoint();
  }
}

export const communityPackagesKind = {
  resource: RESOURCE,
  restored: true,
  // Archives written before n8n-ark recorded it lack it without saying why, and still verify.
  recordedSince: '0.1.0',
  entries: {
    [RESOURCE]: {
      name: 'community-packages.ndjson',
      record: z.looseObject({ id, name: text, version: text }),
    },
  },
  list: installed,
  restoreScopes: ['communityPackage:list', 'communityPackage:install'],
  plan,
  steps: [{ name: RESOURCE, run: install }],
  closingCheckNames: true,
  diff: {
    index: (packages: readonly InstalledPackage[]) =>
      packages.map((p) => ({ key: p.name, id: p.id, canonical: { version: p.version } })),
  },
  contents: { row: (p: InstalledPackage) => ({ id: p.id, name: p.name, version: p.version }) },
} as const satisfies Kind<typeof RESOURCE, typeof RESOURCE>;
