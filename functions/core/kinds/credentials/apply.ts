/** Creating credentials (with their secret, or as stubs) and moving matched ones to their project. */
import type { CredentialMeta, JsonObject } from '../../n8n-types.js';
import type { ApplyContext, PlanEntry } from '../kind.js';
import { Adoption } from '../shared/adoption.js';
import { awaitingSecret } from './awaiting.js';
import { credentialKey } from './key.js';
import { placeholderCredentialData, secretFor } from './stub-data.js';

export async function createCredentials(ctx: ApplyContext): Promise<void> {
  const entries = ctx.entries('credentials').filter((e) => e.action === 'create');
  if (entries.length === 0) return;
  const sources = await ctx.sourceRecords<CredentialMeta>('credentials');
  const schemas = new Map<string, Promise<JsonObject>>();
  const schemaOf = (type: string) => {
    let schema = schemas.get(type);
    if (!schema) {
      schema = ctx.api.getCredentialSchema(type);
      schemas.set(type, schema);
      schema.catch(() => {});
    }
    return schema;
  };
  // The ledger may lack a stub an interrupted run created, or one whose create answer was lost: one
  // under its chosen id is found by id (and type), one that got a new id (renamed, or an id n8n
  // cannot take) by type and name.
  const adoption = new Adoption(
    ctx.ledger,
    'credentials',
    { list: () => ctx.api.listCredentials(), keys: (c) => [idKey(c.id, c.type), credentialKey(c)] },
    ctx.resumed,
  );
  for (const entry of entries) {
    if (
      ctx.ledger.targetId('credentials', entry.sourceId) ||
      ctx.ledger.isMarked('credentials', entry.sourceId)
    )
      continue;
    ctx.checkDeadline();
    const credential = sources.get(entry.sourceId);
    if (!credential || ctx.failIfProjectMissing('credentials', entry)) continue;
    await ctx.attempt('credentials', entry, 'creating the credential', async () => {
      const chosenId = entry.renameTo ? undefined : entry.createWithId;
      const name = entry.renameTo ?? credential.name;
      const key = chosenId
        ? idKey(chosenId, credential.type)
        : credentialKey({ type: credential.type, name });
      const adopted = await adoption.take(key);
      if (adopted) await recordAdopted(ctx, entry, credential, adopted);
      else await createOne(ctx, entry, credential, { chosenId, key, adoption }, schemaOf);
    });
    await ctx.ledger.checkpoint();
  }
}

/** A credential under a chosen id is that credential only when its type matches too. */
function idKey(id: string, type: string): string {
  return `id:${id} ${type}`;
}

/** A stub an interrupted run created: recorded as created, and as waiting for its secret unless one is known now. */
async function recordAdopted(
  ctx: ApplyContext,
  entry: PlanEntry,
  credential: CredentialMeta,
  id: string,
): Promise<void> {
  ctx.ledger.recordId('credentials', entry.sourceId, id);
  ctx.ledger.count('created', 'credentials');
  if (!(await secretFor(ctx.deps.secrets, credential)))
    awaitingSecret(ctx.ledger, { id, name: entry.renameTo ?? credential.name, type: credential.type });
}

/**
 * Creates the credential (with its secret, or as a stub). A 409 on the chosen id or an answer that
 * never came adopts the one that is there by the same key, or sends again (create-or-adopt).
 */
async function createOne(
  ctx: ApplyContext,
  entry: PlanEntry,
  credential: CredentialMeta,
  target: { chosenId: string | undefined; key: string; adoption: Adoption<CredentialMeta> },
  schemaOf: (type: string) => Promise<JsonObject>,
): Promise<void> {
  const name = entry.renameTo ?? credential.name;
  const secret = await secretFor(ctx.deps.secrets, credential);
  const data = secret ?? placeholderCredentialData(await schemaOf(credential.type));
  const projectId = ctx.targetProject(entry);
  const body = {
    ...(target.chosenId ? { id: target.chosenId } : {}),
    name,
    type: credential.type,
    data,
    ...(projectId ? { projectId } : {}),
  };
  const createdId = await target.adoption.createOrAdopt(
    target.key,
    async () => (await ctx.api.createCredential(body)).id,
  );
  ctx.ledger.recordId('credentials', entry.sourceId, createdId);
  ctx.ledger.count('created', 'credentials');
  if (!secret) awaitingSecret(ctx.ledger, { id: createdId, name, type: credential.type });
}

/** Credentials matched by id but owned elsewhere move to their mapped project (--on-conflict overwrite). */
export async function transferCredentials(ctx: ApplyContext): Promise<void> {
  for (const entry of ctx.entries('credentials')) {
    if (!entry.transferToSourceProject || !entry.targetId || ctx.ledger.isMarked('transfers', entry.sourceId))
      continue;
    const projectId = ctx.targetProject(entry);
    if (!projectId) continue;
    ctx.checkDeadline();
    const targetId = entry.targetId;
    await ctx.attempt('transfers', entry, 'moving it to its project', async () => {
      await ctx.api.transferCredential(targetId, projectId);
      ctx.ledger.count('updated', 'credentials');
    });
    ctx.ledger.mark('transfers', entry.sourceId);
    await ctx.ledger.checkpoint();
  }
}
