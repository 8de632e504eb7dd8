/**
 * Credentials created as stubs wait for their secret: the ledger keeps the list (reported as
 * `credentialsAwaitingSecrets`), and the next round of the restore fills them (secrets.ts).
 */
import type { CredentialAwaitingSecret, KindLedger } from '../kind.js';

export function awaitingSecret(ledger: KindLedger, credential: CredentialAwaitingSecret): void {
  if (ledger.state.credentialsAwaitingSecrets.some((c) => c.id === credential.id)) return;
  ledger.state.credentialsAwaitingSecrets.push(credential);
  ledger.changed();
}

/** A stub got its secret: it waits no more. */
export function secretWritten(ledger: KindLedger, id: string): void {
  ledger.state.credentialsAwaitingSecrets = ledger.state.credentialsAwaitingSecrets.filter(
    (c) => c.id !== id,
  );
  ledger.changed();
}
