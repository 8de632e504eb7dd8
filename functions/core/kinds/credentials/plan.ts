/**
 * Credentials keep their ids across a restore (n8n takes a chosen id on create), so the restore
 * matches them by id; only an id n8n would refuse gets a new one, and references are rewritten.
 * Secrets are never in an archive: a credential the target lacks is created as a stub.
 */
import { owningProjectId } from '../../instance/identity.js';
import type { CredentialMeta } from '../../n8n-types.js';
import type { PlanContext } from '../kind.js';
import { renamedName } from '../shared/conflict-policy.js';

/** n8n honours a chosen credential id only in this shape (POST /credentials `id`). */
const CHOOSABLE_CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,16}$/;

export function planCredentials(ctx: PlanContext): void {
  const credentials = ctx.source.credentials.filter(
    (c) => ctx.isSelected('credentials', c.id) || ctx.isMatchable('credentials'),
  );
  // A target whose credentials cannot be listed is planned as if it had none.
  const byId = new Map((ctx.target.credentials ?? []).map((c) => [c.id, c]));
  const takenNames = new Set([...byId.values()].map((c) => c.name));
  for (const credential of credentials) {
    const existing = byId.get(credential.id);
    if (existing && existing.type === credential.type) planSameId(ctx, credential, existing);
    else if (ctx.isSelected('credentials', credential.id)) planCreate(ctx, credential, existing, takenNames);
  }
}

function baseOf(ctx: PlanContext, credential: CredentialMeta) {
  const sourceProjectId = owningProjectId(credential);
  return {
    resource: 'credentials' as const,
    sourceId: credential.id,
    name: `${credential.name} (${credential.type})`,
    ...(sourceProjectId ? { sourceProjectId } : {}),
    ...ctx.pulledInBy('credentials', credential.id),
  };
}

/** The target has it (same id, same type): never overwritten, since its secret would be lost; maybe moved. */
function planSameId(ctx: PlanContext, credential: CredentialMeta, existing: CredentialMeta): void {
  const selected = ctx.isSelected('credentials', credential.id);
  const scope = ctx.scopeOf(owningProjectId(credential));
  const owner = owningProjectId(existing);
  const elsewhere = scope.kind === 'existing' && owner !== undefined && owner !== scope.id;
  const transfer = elsewhere && selected && ctx.conflictPolicy('credentials', credential.id) === 'overwrite';
  ctx.add({
    ...baseOf(ctx, credential),
    action: 'skip',
    targetId: existing.id,
    reason: selected
      ? `a credential with this id exists; credentials are never overwritten (their secret would be lost)${transfer ? '; moved to its project (--on-conflict overwrite)' : ''}`
      : 'not selected; matched by id',
    ...(transfer ? { transferToSourceProject: true } : {}),
  });
}

function planCreate(
  ctx: PlanContext,
  credential: CredentialMeta,
  existing: CredentialMeta | undefined,
  takenNames: Set<string>,
): void {
  const base = { ...baseOf(ctx, credential), ...(credential.isGlobal === true ? { makeGlobal: true } : {}) };
  const global =
    credential.isGlobal === true ? '; made global as on the source, where the licence allows' : '';
  const managed =
    credential.isManaged === true
      ? '; n8n managed it on the source, the target gets an ordinary credential'
      : '';
  if (existing) {
    const why = `a credential with this id exists with another type (${existing.type})`;
    if (ctx.onConflict === 'rename') {
      const renameTo = renamedName(credential.name, (n) => takenNames.has(n));
      takenNames.add(renameTo);
      ctx.add({
        ...base,
        action: 'create',
        renameTo,
        reason: `${why}; created as "${renameTo}" with a new id (--on-conflict rename)${global}${managed}`,
      });
    } else {
      ctx.add({
        ...base,
        action: 'conflict',
        targetId: existing.id,
        reason: `${why}; it cannot be reused or overwritten (use --on-conflict rename)`,
      });
    }
    return;
  }
  const choosable = CHOOSABLE_CREDENTIAL_ID.test(credential.id);
  ctx.add({
    ...base,
    action: 'create',
    reason: `${
      choosable
        ? 'not in the target; created as a stub with the same id'
        : 'not in the target; n8n cannot take its id, so references are rewritten to the new one'
    }${global}${managed}`,
    ...(choosable ? { createWithId: credential.id } : {}),
  });
}
