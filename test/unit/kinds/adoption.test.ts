/**
 * Create-or-adopt through creates n8n answered without proving a refusal (a 400 that may follow a
 * save): the object is looked up before anything is sent again, adopted when there, and when it
 * never appears n8n's own answer is the failure.
 */
import { describe, expect, it } from 'vitest';
import { AmbiguousWriteError, N8nApiError } from '../../../functions/core/errors.js';
import type { KindLedger } from '../../../functions/core/kinds/kind.js';
import { Adoption, AMBIGUOUS_ATTEMPTS } from '../../../functions/core/kinds/shared/adoption.js';

/** The ledger as adoption reads it: nothing claimed yet. */
const ledger = { claimedTargetIds: () => new Set<string>() } as unknown as KindLedger;

/** What the client throws for a create answered 400 "timeout exceeded when trying to connect". */
function answered400(): AmbiguousWriteError {
  const cause = new N8nApiError('n8n answered 400 to POST /tags: timeout exceeded when trying to connect', {
    status: 400,
    method: 'POST',
    path: '/tags',
  });
  return new AmbiguousWriteError(
    'POST /tags was sent to n8n at http://n8n.test, but the answer was 400: its outcome is unknown',
    { method: 'POST', path: '/tags' },
    { cause },
  );
}

describe('Adoption through answers that do not prove a refusal', () => {
  it('adopts the object n8n saved though it answered 400, sending the create once', async () => {
    // Prepare: n8n saves the tag, then answers 400
    const target: { id: string; name: string }[] = [];
    let sends = 0;
    const adoption = new Adoption(
      ledger,
      'tags',
      {
        list: async function* () {
          yield* target;
        },
        keys: (t) => [t.name],
      },
      false,
    );

    // Act
    const id = await adoption.createOrAdopt('prod', async () => {
      sends += 1;
      target.push({ id: 't9', name: 'prod' });
      throw answered400();
    });

    // Assess
    expect(id).toBe('t9');
    expect(sends).toBe(1);
  });

  it("fails with n8n's own answer once the object never appears after every send", async () => {
    // Prepare: n8n answers 400 and saves nothing
    let sends = 0;
    const adoption = new Adoption(
      ledger,
      'tags',
      { list: async function* () {}, keys: (t: { id: string; name: string }) => [t.name] },
      false,
    );

    // Act
    const error = await adoption
      .createOrAdopt('prod', async () => {
        sends += 1;
        throw answered400();
      })
      .catch((e: unknown) => e);

    // Assess
    expect(sends).toBe(AMBIGUOUS_ATTEMPTS);
    expect(error).toBeInstanceOf(N8nApiError);
    expect((error as Error).message).toBe(
      'n8n answered 400 to POST /tags: timeout exceeded when trying to connect',
    );
  });
});
