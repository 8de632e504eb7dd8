/**
 * Global credentials (`isGlobal`: every user of the instance may use them). n8n takes the flag only on
 * update (PATCH /credentials/{id}), and only with its sharing licence: a target without it keeps the
 * credential in its project, and the report says so for each one rather than failing the restore.
 */
import { FeatureNotLicensedError } from '../../errors.js';
import type { ApplyContext } from '../kind.js';

export async function makeCreatedGlobal(ctx: ApplyContext): Promise<void> {
  let unlicensed = false;
  for (const entry of ctx.entries('credentials')) {
    const mark = `global:${entry.sourceId}`;
    const targetId = ctx.ledger.targetId('credentials', entry.sourceId);
    if (!entry.makeGlobal || !targetId || ctx.ledger.isMarked('credentials', mark)) continue;
    ctx.checkDeadline();
    if (unlicensed) {
      warnNotGlobal(ctx, entry.name);
    } else {
      await ctx.attempt('credentials', entry, 'making it global as on the source', async () => {
        try {
          await ctx.api.makeCredentialGlobal(targetId);
          ctx.ledger.count('updated', 'credentials');
        } catch (error) {
          if (!(error instanceof FeatureNotLicensedError)) throw error;
          unlicensed = true;
          warnNotGlobal(ctx, entry.name);
        }
      });
    }
    ctx.ledger.mark('credentials', mark);
    await ctx.ledger.checkpoint();
  }
}

function warnNotGlobal(ctx: ApplyContext, name: string): void {
  ctx.ledger.warn({
    code: 'credential-not-global',
    resource: 'credentials',
    message: `credentials "${name}": global on the source, but the target is not licensed for sharing credentials (feat:sharing), so only its project can use it`,
  });
}
