/**
 * Secrets that arrive after the restore. A stub this restore created waits for its secret; once the
 * operator's secret source has it, the next run of the same restore (a new round, see
 * restore/rounds.ts) writes it into the stub, which then waits no more.
 */
import type { OpenedArchive } from '../../archive/format.js';
import { collect } from '../../json.js';
import type { CredentialMeta } from '../../n8n-types.js';
import type { SecretSource } from '../../ports.js';
import type { ApplyContext, KindLedger } from '../kind.js';
import { secretWritten } from './awaiting.js';
import { secretFor } from './stub-data.js';

/** The stubs this restore created, each with the source credential it stands for. */
async function waitingStubs(
  archive: OpenedArchive,
  ledger: KindLedger,
): Promise<{ targetId: string; source: CredentialMeta }[]> {
  const waiting = ledger.state.credentialsAwaitingSecrets;
  const [entry] = archive.entriesOf('credentials');
  if (waiting.length === 0 || !entry) return [];
  const sourceOf = new Map(
    [...ledger.idMap('credentials')].map(([sourceId, targetId]) => [targetId, sourceId]),
  );
  const sources = new Map((await collect(archive.records<CredentialMeta>(entry.name))).map((c) => [c.id, c]));
  return waiting.flatMap(({ id }) => {
    const source = sources.get(sourceOf.get(id) ?? '');
    return source ? [{ targetId: id, source }] : [];
  });
}

/** How many of the stubs this restore created have their secret in the secret source now. */
export async function stubsWithSecretNow(
  archive: OpenedArchive,
  ledger: KindLedger,
  secrets: SecretSource | undefined,
): Promise<number> {
  if (!secrets) return 0;
  let known = 0;
  for (const { source } of await waitingStubs(archive, ledger))
    if (await secretFor(secrets, source)) known += 1;
  return known;
}

/** Writes the secrets now known into the stubs waiting for them. */
export async function fillStubSecrets(ctx: ApplyContext): Promise<void> {
  if (!ctx.deps.secrets) return;
  const entries = new Map(ctx.entries('credentials').map((e) => [e.sourceId, e]));
  for (const { targetId, source } of await waitingStubs(ctx.deps.archive, ctx.ledger)) {
    const entry = entries.get(source.id);
    if (!entry || ctx.ledger.isMarked('credentials', `secret:${source.id}`)) continue;
    const secret = await secretFor(ctx.deps.secrets, source);
    if (!secret) continue;
    ctx.checkDeadline();
    await ctx.attempt('credentials', entry, 'writing its secret into the stub', async () => {
      await ctx.api.updateCredentialData(targetId, secret);
      secretWritten(ctx.ledger, targetId);
      ctx.ledger.count('updated', 'credentials');
    });
    ctx.ledger.mark('credentials', `secret:${source.id}`);
    await ctx.ledger.checkpoint();
  }
}
