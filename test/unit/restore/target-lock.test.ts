import { describe, expect, it } from 'vitest';
import { LedgerLockedError, StoreError } from '../../../functions/core/errors.js';
import type { LockOwner } from '../../../functions/core/ports.js';
import { holdTarget, targetLockName } from '../../../functions/core/restore/target-lock.js';

const owner: LockOwner = { pid: 1, host: 'h', startedAt: '2026-12-07T00:00:00.000Z' };

describe('targetLockName', () => {
  it('names one target one way, however its URL is written, and two targets two ways', () => {
    const one = targetLockName('https://N8N.example.com/');
    expect(targetLockName('https://n8n.example.com')).toBe(one);
    expect(targetLockName('https://n8n.example.com:443/')).toBe(one);
    expect(one).toMatch(/^n8n\.example\.com-[0-9a-f]{24}$/);
    expect(targetLockName('https://n8n.example.com:8443')).not.toBe(one);
    expect(targetLockName('https://n8n.example.com/other')).not.toBe(one);
    expect(targetLockName('http://[::1]:5678')).toMatch(/^_1_-[0-9a-f]{24}$/);
  });
});

describe('holdTarget', () => {
  it("says another restore into the target holds it, keeping the store's own words on what to remove", async () => {
    const held = new LedgerLockedError('lock file /x/t.lock is held; remove /x/t.lock if it is gone', {
      holder: 'pid 7 on host h',
    });

    const refusal = await holdTarget(
      { lock: () => Promise.reject(held) },
      owner,
      'http://dr.example.com',
    ).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(LedgerLockedError);
    expect((refusal as LedgerLockedError).exitCode).toBe(6);
    expect((refusal as Error).message).toMatch(
      /^another restore into http:\/\/dr\.example\.com is running \(pid 7 on host h\): .* this one wrote nothing\. .*remove \/x\/t\.lock if it is gone\)$/,
    );
  });

  it('lets a store failure through as it is', async () => {
    const failure = new StoreError('cannot create', { location: '/x' });
    await expect(holdTarget({ lock: () => Promise.reject(failure) }, owner, 'http://x')).rejects.toBe(
      failure,
    );
  });
});
