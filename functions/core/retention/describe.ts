import type { KeptArchive } from './prune.js';

/** Why an archive stays, in words: `daily, weekly`, `kept by Object Lock until …`, `restore not finished (…)`. */
export function describeKeep(kept: KeptArchive): string {
  return kept.keptBy
    .map((reason) => {
      switch (reason) {
        case 'newest-verified':
          return 'newest verified';
        case 'restore':
          return `restore not finished (${(kept.ledgers ?? []).join(', ')})`;
        case 'object-lock':
          return objectLockText(kept.objectLock);
        default:
          return reason;
      }
    })
    .join(', ');
}

function objectLockText(lock: KeptArchive['objectLock']): string {
  const parts = [
    ...(lock?.retainUntil ? [`until ${lock.retainUntil}${lock.mode ? ` (${lock.mode})` : ''}`] : []),
    ...(lock?.legalHold ? ['under legal hold'] : []),
  ];
  return `kept by Object Lock ${parts.join(' and ')}`;
}
